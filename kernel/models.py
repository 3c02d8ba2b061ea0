from django.db import models


class Lease(models.Model):
    """Who runs a cluster-wide singleton (the background jobs) until when; renewed while alive."""

    name = models.CharField(primary_key=True, max_length=50)
    holder = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    class Meta:
        # The table kept its name when the model moved here from the project package.
        db_table = "cantondex_lease"

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder} until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class JobStatus(models.Model):
    """How a background job (kernel/jobs.py) has been doing: its last run and its totals. Written by the jobs only."""

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    name = models.CharField(primary_key=True, max_length=100)
    last_started_at = models.DateTimeField(null=True)
    last_duration_s = models.FloatField(null=True)
    last_outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    last_error = models.TextField(blank=True, help_text="The traceback of the last failed run (kept after successes).")
    consecutive_failures = models.PositiveIntegerField(default=0)
    runs = models.PositiveBigIntegerField(default=0)
    failures = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name_plural = "job statuses"

    def __str__(self) -> str:
        return self.name
