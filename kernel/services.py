"""Writes of the kernel's own models."""

from datetime import datetime
from typing import Any

from django.db.models import F, Value

from .models import JobStatus


def job_run_record(*, name: str, started_at: datetime, duration_s: float, error: str | None) -> None:
    """Count one run of job `name` (error None: it succeeded). One UPDATE, as runs end in several threads;
    the last error stays after a success, for whoever looks into a job that failed and recovered."""
    changes: dict[str, Any] = {
        "last_started_at": started_at,
        "last_duration_s": duration_s,
        "runs": F("runs") + 1,
    }
    if error is None:
        changes.update(last_outcome=JobStatus.Outcome.SUCCEEDED, consecutive_failures=Value(0))
    else:
        changes.update(
            last_outcome=JobStatus.Outcome.FAILED,
            last_error=error,
            failures=F("failures") + 1,
            consecutive_failures=F("consecutive_failures") + 1,
        )
    if not JobStatus.objects.filter(name=name).update(**changes):
        JobStatus.objects.get_or_create(name=name)  # the job's first run
        JobStatus.objects.filter(name=name).update(**changes)
