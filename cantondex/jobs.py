"""Background jobs: periodic work that runs without a human (settlement, withdrawals, maintenance windows).

Domain apps register a job from their AppConfig.ready(). By default the jobs run inside the server
process, on one daemon thread started by cantondex.asgi. With several server processes, set
CDX_IN_PROCESS_JOBS=0 on them and run `python manage.py run_jobs` once, so each job fires once.
Tests call `run_due(force=True)` to run every job now, on their own thread.
"""

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    interval_s: float
    func: Callable[[], object]
    next_run: float = 0.0


_jobs: dict[str, Job] = {}
_wakeup = threading.Event()
_started = False
_start_lock = threading.Lock()


def register(name: str, interval_s: float, func: Callable[[], object]) -> None:
    _jobs[name] = Job(name, interval_s, func)


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
                job.func()
            except Exception:
                log.exception("job %s failed", job.name)
            finally:
                close_old_connections()


def run_forever(stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    while not stop.is_set():
        run_due()
        if _jobs:
            delay = max(0.0, min(job.next_run for job in _jobs.values()) - time.monotonic())
        else:
            delay = 1.0
        _wakeup.wait(timeout=delay)
        _wakeup.clear()


def in_process_enabled() -> bool:
    return os.environ.get("CDX_IN_PROCESS_JOBS", "1").strip().lower() not in {"0", "false", "no", "off"}


def start_in_process() -> None:
    """Start the job thread of this server process, once (unless CDX_IN_PROCESS_JOBS=0)."""
    global _started
    with _start_lock:
        if _started or not in_process_enabled():
            return
        _started = True
    threading.Thread(target=run_forever, name="cdx-jobs", daemon=True).start()
    log.info("background jobs running in this process: %s", ", ".join(registered()) or "none")
