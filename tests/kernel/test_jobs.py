import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError
from django.utils import timezone
from prometheus_client import REGISTRY

from kernel import jobs
from kernel.models import JobStatus, Lease

pytestmark = pytest.mark.django_db

WAIT_S = 10.0


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


def test_each_run_is_recorded_with_its_outcome_and_the_failures_in_a_row(monkeypatch):
    outcomes = iter([ZeroDivisionError, ZeroDivisionError, None])

    def flaky():
        error = next(outcomes)
        if error is not None:
            raise error("boom")

    monkeypatch.setattr(jobs, "_jobs", {})
    jobs.register("flaky", flaky, interval_setting="CDX_EVENT_LOG_PRUNE_INTERVAL_S")
    jobs.run_due(force=True)
    jobs.run_due(force=True)
    status = JobStatus.objects.get(name="flaky")
    assert (status.runs, status.failures, status.consecutive_failures) == (2, 2, 2)
    assert status.last_outcome == "failed" and "ZeroDivisionError: boom" in status.last_error
    jobs.run_due(force=True)
    status.refresh_from_db()
    assert (status.runs, status.failures, status.consecutive_failures) == (3, 2, 0)
    assert status.last_outcome == "succeeded" and "boom" in status.last_error, "the last error stays for the record"
    assert status.last_started_at is not None and status.last_duration_s is not None


class Clock:
    """What the leases read as now (kernel.jobs._clock), moved by the test instead of waited for."""

    def __init__(self):
        self.now = timezone.now()
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += timedelta(seconds=seconds)


def until(condition, timeout: float = WAIT_S) -> bool:
    """Polls what another thread changes in the database (nothing announces it) until it holds; bounded."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@contextmanager
def supervisor_running():
    """This process's job supervisor (what run_jobs or the server runs), stopped and joined afterwards."""
    stop = threading.Event()
    thread = threading.Thread(target=jobs.run_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(WAIT_S)
        assert not thread.is_alive(), "the supervisor did not stop"


@pytest.mark.django_db(transaction=True)  # the job threads see what the test writes
def test_a_run_longer_than_its_lease_is_not_started_again_by_another_process(monkeypatch, settings):
    settings.CDX_EVENT_LOG_PRUNE_INTERVAL_S = 3600  # runs once here
    clock = Clock()
    monkeypatch.setattr(jobs, "_clock", clock)
    monkeypatch.setattr(jobs, "_holder_id", "process-a")
    monkeypatch.setattr(jobs, "_jobs", {})
    started, finish, runs = threading.Event(), threading.Event(), []

    def slow():
        runs.append("run")
        started.set()
        finish.wait(WAIT_S)

    jobs.register("slow", slow, interval_setting="CDX_EVENT_LOG_PRUNE_INTERVAL_S")
    job = jobs._jobs["slow"]
    with supervisor_running():
        assert started.wait(WAIT_S)
        clock.advance(jobs.LEASE_S * 10)  # far past the lease the run began with
        assert until(lambda: Lease.objects.get(name=job.lease).expires_at > clock()), "the heartbeat renews it"
        assert jobs.job_run_fenced(job, holder="process-b") is None, "process b may not start it meanwhile"
        assert runs == ["run"]
        finish.set()
    assert jobs.job_run_fenced(job, holder="process-b") is not None, "once it ended (and a stopped), b may"
    assert runs == ["run", "run"]


@pytest.mark.django_db(transaction=True)
def test_a_slow_job_delays_no_other(monkeypatch, settings):
    settings.CDX_EVENT_LOG_PRUNE_INTERVAL_S = 3600
    settings.CDX_PROBE_INTERVAL_S = 0
    monkeypatch.setattr(jobs, "_jobs", {})
    slow_started, finish = threading.Event(), threading.Event()
    fast_runs = threading.Semaphore(0)

    def slow():
        slow_started.set()
        finish.wait(WAIT_S)

    jobs.register("slow", slow, interval_setting="CDX_EVENT_LOG_PRUNE_INTERVAL_S")
    jobs.register("fast", fast_runs.release, interval_setting="CDX_PROBE_INTERVAL_S")
    with supervisor_running():
        try:
            assert slow_started.wait(WAIT_S)
            assert all(fast_runs.acquire(timeout=WAIT_S) for _ in range(3)), "the fast job waited for the slow one"
            assert not finish.is_set() and JobStatus.objects.filter(name="slow").count() == 0, "slow still runs"
        finally:
            finish.set()


@pytest.mark.django_db(transaction=True)
def test_a_stopped_supervisor_gives_the_jobs_lease_up_at_once(monkeypatch):
    monkeypatch.setattr(jobs, "_jobs", {})
    monkeypatch.setattr(jobs, "_holder_id", "process-a")
    with supervisor_running():
        assert until(lambda: Lease.objects.filter(name=jobs.LEADER_LEASE, holder="process-a").exists())
    assert jobs.lease_acquire(holder="process-b"), "taken over without waiting for it to expire"


def test_a_release_by_a_process_that_lost_the_lease_leaves_the_new_holders_lease(monkeypatch):
    Lease.objects.create(name="jobs", holder="process-b", expires_at=timezone.now() + timedelta(seconds=jobs.LEASE_S))
    jobs.lease_release("jobs", holder="process-a")
    assert Lease.objects.get(name="jobs").expires_at > timezone.now()


def test_a_renewal_that_finds_the_lease_taken_over_says_so(monkeypatch, caplog):
    Lease.objects.create(name="job:slow", holder="process-b", expires_at=timezone.now() + timedelta(seconds=jobs.LEASE_S))
    monkeypatch.setattr(jobs, "_held", {"job:slow"})
    monkeypatch.setattr(jobs, "_holder_id", "process-a")
    jobs.leases_renew()
    assert Lease.objects.get(name="job:slow").holder == "process-b"
    assert "lease job:slow was taken over while its job still runs here" in caplog.text


def test_a_database_failure_loses_no_job_run_and_takes_no_lease(monkeypatch, caplog):
    def unavailable(*_, **__):
        raise OperationalError("the database went away")

    monkeypatch.setattr("kernel.services.job_run_record", unavailable)
    monkeypatch.setattr(jobs, "_jobs", {})
    jobs.register("fails-to-record", lambda: None, interval_setting="CDX_EVENT_LOG_PRUNE_INTERVAL_S")
    run = jobs.job_run(jobs._jobs["fails-to-record"])
    assert run.error is None and "could not record the run of job fails-to-record" in caplog.text

    monkeypatch.setattr(Lease.objects, "select_for_update", unavailable)
    assert jobs.lease_acquire("jobs", holder="process-a") is False
    assert "could not take the lease jobs" in caplog.text
