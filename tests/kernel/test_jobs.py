from datetime import timedelta

import pytest
from django.utils import timezone

from kernel import jobs
from kernel.models import Lease

pytestmark = pytest.mark.django_db


def test_only_one_process_holds_the_jobs_lease(monkeypatch):
    monkeypatch.setattr(jobs, "_holder_id", "process-a")
    assert jobs.lease_acquire()
    assert jobs.lease_acquire(), "the holder renews its own lease"
    monkeypatch.setattr(jobs, "_holder_id", "process-b")
    assert not jobs.lease_acquire(), "a live lease is not taken over"


def test_an_expired_lease_passes_to_another_process(monkeypatch):
    Lease.objects.create(name="jobs", holder="dead-process", expires_at=timezone.now() - timedelta(seconds=1))
    monkeypatch.setattr(jobs, "_holder_id", "process-b")
    assert jobs.lease_acquire()
    assert Lease.objects.get(name="jobs").holder == "process-b"


def test_run_due_runs_each_job_and_survives_a_failing_one(monkeypatch):
    ran = []
    monkeypatch.setattr(jobs, "_jobs", {})
    jobs.register("fails", 60, lambda: 1 / 0)
    jobs.register("works", 60, lambda: ran.append("works"))
    jobs.run_due(force=True)
    assert ran == ["works"]
    jobs.run_due()
    assert ran == ["works"], "not due again before its interval"
