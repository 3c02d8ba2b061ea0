"""Background jobs: periodic work that runs without a human (settlement, withdrawals, maintenance windows).

Domain apps register a job from their AppConfig.ready(), naming the setting that holds its interval in
seconds (all of them in cantondex/settings.py, read at every run, so a changed setting applies). By default
the jobs run inside the server process, started by cantondex.asgi; `python manage.py run_jobs` runs them in
a worker instead (set CDX_IN_PROCESS_JOBS=0 on the servers).

- One leader. With several processes each one runs the supervisor, but only the holder of the "jobs" lease
  runs jobs, so each job fires once; the lease passes to another process within LEASE_S when its holder dies.
- One thread per job, so a slow job delays no other.
- A run is fenced by a lease of its own ("job:<name>"), renewed by the supervisor's heartbeat while the run
  lasts, however long: a process that becomes leader meanwhile cannot start the same job until it ends.
- Every run is recorded in one place (`_record`): start, duration, outcome and error, in JobStatus (admin).

Tests call `run_due(force=True)` to run every job now, on their own thread.
"""

import logging
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, close_old_connections, transaction
from django.utils import timezone
from structlog.contextvars import bind_contextvars

from .metrics import record_job_run

log = logging.getLogger(__name__)

LEASE_S = 5.0
HEARTBEAT_S = LEASE_S / 3
LEADER_LEASE = "jobs"

_holder_id = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
# What the leases read as now: a test moves it to outlast a lease without waiting.
_clock: Callable[[], datetime] = timezone.now


@dataclass
class Job:
    name: str
    func: Callable[[], object]
    interval_setting: str  # the name of the setting that holds the seconds between runs
    next_run: float = 0.0
    wakeup: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def interval_s(self) -> float:
        return getattr(settings, self.interval_setting)

    @property
    def lease(self) -> str:
        return f"job:{self.name}"


@dataclass(frozen=True)
class JobRun:
    """One run of a job, as recorded."""

    job: str
    started_at: datetime
    duration_s: float
    error: str | None  # None: it succeeded


_jobs: dict[str, Job] = {}
_held: set[str] = set()  # the run leases this process holds now: the heartbeat renews them
_held_lock = threading.Lock()
_in_process_stop = threading.Event()
_in_process: threading.Thread | None = None
_start_lock = threading.Lock()


def register(name: str, func: Callable[[], object], *, interval_setting: str) -> None:
    if not hasattr(settings, interval_setting):  # at start-up, not later in a job thread
        raise ImproperlyConfigured(f"job {name}: no setting {interval_setting} (declare it in cantondex/settings.py)")
    _jobs[name] = Job(name, func, interval_setting)


def registered() -> list[str]:
    return sorted(_jobs)


def wake() -> None:
    """Run every job at the next tick instead of waiting for its interval (safe from any thread)."""
    for job in _jobs.values():
        job.next_run = 0.0
        job.wakeup.set()


def run_due(*, force: bool = False) -> None:
    """Run the jobs whose time has come (all of them with force), one after another, on this thread."""
    now = time.monotonic()
    for job in list(_jobs.values()):
        if force or job.next_run <= now:
            job.next_run = now + job.interval_s
            job_run(job)


def job_run(job: Job) -> JobRun:
    """Run `job` once, here and now; a failure is logged and recorded, never raised."""
    started_at, started = _clock(), time.monotonic()
    error = None
    try:
        job.func()
    except Exception:
        log.exception("job %s failed", job.name)
        error = traceback.format_exc(limit=20)
    run = JobRun(job=job.name, started_at=started_at, duration_s=time.monotonic() - started, error=error)
    _record(run)
    return run


def _record(run: JobRun) -> None:
    """Every run's outcome goes through here: its metrics, and the JobStatus row the admin shows."""
    from .services import job_run_record

    record_job_run(run.job, run.duration_s, ok=run.error is None)
    try:
        job_run_record(name=run.job, started_at=run.started_at, duration_s=run.duration_s, error=run.error)
    except DatabaseError:
        log.exception("could not record the run of job %s", run.job)


def job_run_fenced(job: Job, *, holder: str | None = None) -> JobRun | None:
    """Run `job` under its run lease; None (nothing run) while another process still runs it."""
    if not lease_acquire(job.lease, holder=holder):
        return None
    with _held_lock:
        _held.add(job.lease)
    try:
        return job_run(job)
    finally:
        with _held_lock:
            _held.discard(job.lease)
        lease_release(job.lease, holder=holder)


def leases_renew() -> None:
    """The heartbeat: extend the run lease of every job this process is running."""
    with _held_lock:  # held throughout, so a run that ends meanwhile is not renewed after its release
        for name in _held:
            if not lease_acquire(name):
                log.error("lease %s was taken over while its job still runs here", name)


def lease_acquire(name: str = LEADER_LEASE, *, holder: str | None = None) -> bool:
    """Take or renew the lease `name` for `holder` (this process); False while another live holder has it."""
    from .models import Lease

    holder = holder or _holder_id
    now = _clock()
    until = now + timedelta(seconds=LEASE_S)
    try:
        with transaction.atomic():
            lease, created = Lease.objects.select_for_update().get_or_create(
                name=name, defaults={"holder": holder, "expires_at": until}
            )
            if created:
                return True
            if lease.holder != holder and lease.expires_at > now:
                return False
            lease.holder, lease.expires_at = holder, until
            lease.save(update_fields=["holder", "expires_at"])
            return True
    except DatabaseError:
        log.exception("could not take the lease %s", name)
        return False


def lease_release(name: str, *, holder: str | None = None) -> None:
    """Give the lease up now (if `holder` still has it), so another process need not wait for it to expire."""
    from .models import Lease

    try:
        Lease.objects.filter(name=name, holder=holder or _holder_id).update(expires_at=_clock())
    except DatabaseError:
        log.exception("could not release the lease %s; it expires in %gs", name, LEASE_S)


def run_forever(stop: threading.Event | None = None) -> None:
    """The supervisor: takes the leader lease and heartbeats the run leases; one thread per job runs it."""
    stop = stop or threading.Event()
    leader = threading.Event()
    workers = [
        threading.Thread(target=_job_loop, args=(job, leader, stop), name=f"cdx-job-{job.name}", daemon=True)
        for job in _jobs.values()
    ]
    for worker in workers:
        worker.start()
    try:
        while not stop.is_set():
            if lease_acquire(LEADER_LEASE):
                if not leader.is_set():
                    leader.set()
                    for job in _jobs.values():  # leading now: the due jobs need not wait for their next look
                        job.wakeup.set()
            else:
                leader.clear()
            leases_renew()
            # The supervisor is long-lived: drop connections that broke or outlived CONN_MAX_AGE.
            close_old_connections()
            stop.wait(HEARTBEAT_S)
    finally:
        leader.clear()
        for job in _jobs.values():
            job.wakeup.set()
        while any(worker.is_alive() for worker in workers):  # runs in progress end; their leases stay renewed
            leases_renew()
            for worker in workers:
                worker.join(timeout=HEARTBEAT_S / len(workers))
        lease_release(LEADER_LEASE)
        close_old_connections()


def _job_loop(job: Job, leader: threading.Event, stop: threading.Event) -> None:
    bind_contextvars(job=job.name)  # on every line this thread logs
    while not stop.is_set():
        delay = job.next_run - time.monotonic()
        if not leader.is_set() or delay > 0:
            # Not the leader: look again when the supervisor may have taken the lease. wake() cuts either short.
            job.wakeup.wait(timeout=delay if leader.is_set() else HEARTBEAT_S)
            job.wakeup.clear()
            continue
        job.next_run = time.monotonic() + job.interval_s
        job_run_fenced(job)
        close_old_connections()  # a long-lived thread: drop connections that broke or outlived CONN_MAX_AGE


def start_in_process() -> None:
    """Start the job supervisor of this server process, once (unless CDX_IN_PROCESS_JOBS=0)."""
    global _in_process
    with _start_lock:
        if _in_process is not None or not settings.CDX_IN_PROCESS_JOBS:
            return
        _in_process = threading.Thread(target=run_forever, args=(_in_process_stop,), name="cdx-jobs", daemon=True)
    _in_process.start()
    log.info("background jobs running in this process: %s", ", ".join(registered()) or "none")


def stop_in_process(*, timeout_s: float) -> None:
    """Stop this process's jobs (the server shuts down): the runs in progress finish, within `timeout_s`,
    and the leases are given up, so another process takes the jobs over at once."""
    if _in_process is None:
        return
    _in_process_stop.set()
    _in_process.join(timeout=timeout_s)
    if _in_process.is_alive():
        log.warning("jobs still running after %gs; their leases expire in %gs", timeout_s, LEASE_S)
