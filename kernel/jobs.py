"""Background jobs: periodic work that runs without a human (settlement, withdrawals, maintenance windows).

Domain apps register a job from their AppConfig.ready(), naming the setting that holds its interval in
seconds (all of them in cantondex/settings.py, read at every run, so a changed setting applies). By default the jobs run inside the server
process, on one daemon thread started by cantondex.asgi. With several server processes each one
starts the thread, but only the holder of the "jobs" lease runs them, so each job fires once; the
lease passes to another process within LEASE_S when its holder dies. `python manage.py run_jobs`
runs them in a worker instead (set CDX_IN_PROCESS_JOBS=0 on the servers).
Tests call `run_due(force=True)` to run every job now, on their own thread.
"""

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, close_old_connections, transaction
from django.utils import timezone

from .metrics import job_run_recorded

log = logging.getLogger(__name__)

LEASE_S = 5.0
_holder_id = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"


@dataclass
class Job:
    name: str
    func: Callable[[], object]
    interval_setting: str  # the name of the setting that holds the seconds between runs
    next_run: float = 0.0

    @property
    def interval_s(self) -> float:
        return getattr(settings, self.interval_setting)


_jobs: dict[str, Job] = {}
_wakeup = threading.Event()
_started = False
_start_lock = threading.Lock()


def register(name: str, func: Callable[[], object], *, interval_setting: str) -> None:
    if not hasattr(settings, interval_setting):  # at start-up, not later in the job thread
        raise ImproperlyConfigured(f"job {name}: no setting {interval_setting} (declare it in cantondex/settings.py)")
    _jobs[name] = Job(name, func, interval_setting)


def registered() -> list[str]:
    return sorted(_jobs)


def wake() -> None:
    """Run every job at the next tick instead of waiting for its interval (safe from any thread)."""
    for job in _jobs.values():
        job.next_run = 0.0
    _wakeup.set()


def run_due(*, force: bool = False) -> None:
    """Run the jobs whose time has come (all of them with force), one after another."""
    now = time.monotonic()
    for job in list(_jobs.values()):
        if force or job.next_run <= now:
            job.next_run = now + job.interval_s
            try:
                with job_run_recorded(job.name):
                    job.func()
            except Exception:
                log.exception("job %s failed", job.name)


def lease_acquire(name: str = "jobs") -> bool:
    """Take or renew the lease `name` for this process; False while another live process holds it."""
    from .models import Lease

    now = timezone.now()
    until = now + timedelta(seconds=LEASE_S)
    try:
        with transaction.atomic():
            lease, created = Lease.objects.select_for_update().get_or_create(
                name=name, defaults={"holder": _holder_id, "expires_at": until}
            )
            if created:
                return True
            if lease.holder != _holder_id and lease.expires_at > now:
                return False
            lease.holder, lease.expires_at = _holder_id, until
            lease.save(update_fields=["holder", "expires_at"])
            return True
    except DatabaseError:
        log.exception("could not take the jobs lease")
        return False


def run_forever(stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    lease_checked = 0.0
    leader = False
    while not stop.is_set():
        if time.monotonic() - lease_checked >= LEASE_S / 3:
            leader, lease_checked = lease_acquire(), time.monotonic()
        if leader:
            run_due()
        # The job thread is long-lived: drop connections that broke or outlived CONN_MAX_AGE.
        close_old_connections()
        if leader and _jobs:
            delay = max(0.0, min(job.next_run for job in _jobs.values()) - time.monotonic())
        else:
            delay = LEASE_S / 3
        _wakeup.wait(timeout=min(delay, LEASE_S / 3))
        _wakeup.clear()


def start_in_process() -> None:
    """Start the job thread of this server process, once (unless CDX_IN_PROCESS_JOBS=0)."""
    global _started
    with _start_lock:
        if _started or not settings.CDX_IN_PROCESS_JOBS:
            return
        _started = True
    threading.Thread(target=run_forever, name="cdx-jobs", daemon=True).start()
    log.info("background jobs running in this process: %s", ", ".join(registered()) or "none")
