import os

from django.conf import settings

# pytest-django loads the settings before this file. The test process's own settings for the whole run
# are changed here (tests import the ASGI application, which reads CDX_IN_PROCESS_JOBS, before any fixture
# runs); a single test changes a setting through pytest-django's `settings` fixture.

# Tests run jobs explicitly (kernel.jobs.run_due); end-to-end daphne processes run their own.
settings.CDX_IN_PROCESS_JOBS = False
# Persistent database connections would outlive the test database on the threads that run ORM calls
# in async tests, and PostgreSQL refuses to drop a database with sessions open: close them after use,
# here and (through the environment they inherit) in the daphne processes of end-to-end tests.
settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
os.environ["CDX_DB_CONN_MAX_AGE"] = "0"
# Likewise the PostgreSQL connection pool keeps idle connections open until the process ends; the test
# process goes without it (end-to-end daphne processes and the order benchmark's server use it).
settings.DATABASES["default"].get("OPTIONS", {}).pop("pool", None)
