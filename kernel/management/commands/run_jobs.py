from django.core.management.base import BaseCommand

from kernel import jobs


class Command(BaseCommand):
    help = "Run the background jobs in the foreground (use with CDX_IN_PROCESS_JOBS=0 on the servers)."

    def handle(self, *args, **options):
        self.stdout.write(f"Running jobs: {', '.join(jobs.registered()) or 'none'}")
        jobs.run_forever()
