from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from prometheus_client import REGISTRY

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
    jobs.register("fails", lambda: 1 / 0, interval_setting="CDX_EVENT_LOG_PRUNE_INTERVAL_S")
    jobs.register("works", lambda: ran.append("works"), interval_setting="CDX_EVENT_LOG_PRUNE_INTERVAL_S")
    jobs.run_due(force=True)
    assert ran == ["works"]
    jobs.run_due()
    assert ran == ["works"], "not due again before its interval"


def test_each_run_is_counted_and_timed_and_a_failure_counted_too(monkeypatch):
    def sample(name: str, job: str) -> float:
        return REGISTRY.get_sample_value(name, {"job_name": job}) or 0.0

    monkeypatch.setattr(jobs, "_jobs", {})
    jobs.register("metered_fails", lambda: 1 / 0, interval_setting="CDX_EVENT_LOG_PRUNE_INTERVAL_S")
    jobs.register("metered_works", lambda: None, interval_setting="CDX_EVENT_LOG_PRUNE_INTERVAL_S")
    before = {(name, job): sample(name, job) for name in METERED for job in ("metered_fails", "metered_works")}
    jobs.run_due(force=True)
    moved = {key: sample(*key) - value for key, value in before.items()}
    assert moved == {
        ("cantondex_job_runs_total", "metered_fails"): 1,
        ("cantondex_job_runs_total", "metered_works"): 1,
        ("cantondex_job_failures_total", "metered_fails"): 1,
        ("cantondex_job_failures_total", "metered_works"): 0,
        ("cantondex_job_duration_seconds_count", "metered_fails"): 1,
        ("cantondex_job_duration_seconds_count", "metered_works"): 1,
    }


METERED = ("cantondex_job_runs_total", "cantondex_job_failures_total", "cantondex_job_duration_seconds_count")


def test_a_job_runs_at_the_interval_its_setting_holds_when_it_runs(monkeypatch, settings):
    ran = []
    monkeypatch.setattr(jobs, "_jobs", {})
    jobs.register("works", lambda: ran.append("works"), interval_setting="CDX_EVENT_LOG_PRUNE_INTERVAL_S")
    settings.CDX_EVENT_LOG_PRUNE_INTERVAL_S = 0
    jobs.run_due()
    jobs.run_due()
    assert ran == ["works", "works"], "due again at once with an interval of 0"
    settings.CDX_EVENT_LOG_PRUNE_INTERVAL_S = 3600
    jobs.run_due()
    jobs.run_due()
    assert ran == ["works"] * 3, "the new interval applies from the next run"


def test_a_job_without_its_interval_setting_is_refused_at_registration(monkeypatch):
    monkeypatch.setattr(jobs, "_jobs", {})
    with pytest.raises(ImproperlyConfigured, match="UNDECLARED_INTERVAL_S"):
        jobs.register("orphan", lambda: None, interval_setting="UNDECLARED_INTERVAL_S")
    assert jobs.registered() == []
