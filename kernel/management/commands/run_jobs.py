import signal
import threading

from django.core.management.base import BaseCommand

from kernel import jobs


class Command(BaseCommand):
    help = "Run the background jobs in the foreground (use with CDX_IN_PROCESS_JOBS=0 on the servers)."

    def handle(self, *args, **options):
        self.stdout.write(f"Running jobs: {', '.join(jobs.registered()) or 'none'}")
        # SIGTERM (a supervisor's stop) ends the runs in progress and gives the leases up, so another
        # worker takes the jobs over at once instead of after the lease expires.
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
        jobs.run_forever(stop)
