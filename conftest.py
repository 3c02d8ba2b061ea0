import os

# The test process imports the ASGI application but must not run the background jobs of a server;
# tests run jobs explicitly (cantondex.jobs.run_due), and end-to-end daphne processes run their own.
os.environ["CDX_IN_PROCESS_JOBS"] = "0"
