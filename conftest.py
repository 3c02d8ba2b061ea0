import os

# The test process imports the ASGI application but must not run the background jobs of a server;
# tests run jobs explicitly (kernel.jobs.run_due), and end-to-end daphne processes run their own.
os.environ["CDX_IN_PROCESS_JOBS"] = "0"
# Persistent database connections would outlive the test database on the threads that run ORM calls
# in async tests, and PostgreSQL refuses to drop a database with sessions open: close them after use.
# Settings are loaded before this file: the setting for this process, the environment for the daphne
# processes of end-to-end tests.
from django.conf import settings  # noqa: E402

settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
os.environ["CDX_DB_CONN_MAX_AGE"] = "0"
