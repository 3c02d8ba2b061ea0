"""Checks other apps call before work a service must be open for (order_place calls it for matching_engine).

The gate runs on every order, and maintenance state changes a few times a day, so an open service is
remembered for up to OPEN_CACHE_S (never past the start of its next window). Saving or deleting a notice
or a status forgets it at once in this process; another process sees the change within OPEN_CACHE_S,
as the maintenance job, which runs every second, would. A closed service is never remembered: each
refused order reads the state again, so reopening takes effect at once.
"""

import threading
import time
from datetime import datetime

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from kernel.errors import ServiceError
from kernel.json import isoformat

from .models import LIVE_STATES, HealthStatus, MaintenanceNotice, ServiceStatus
from .selectors import maintenance_notice_in_effect

OPEN_CACHE_S = 1.0

_lock = threading.Lock()
_open_until: dict[str, float] = {}  # service -> time.monotonic() until which it is known to be open
_generation = 0  # bumped by every forget, so a check that raced a change is not remembered


def ensure_service_open(*, service: str) -> None:
    """Raises SERVICE_UNAVAILABLE (503) while the service is in maintenance or an administrator has it down."""
    if _open_until.get(service, 0.0) > time.monotonic():
        return
    _check(service=service)


def gates_forget(**kwargs) -> None:
    """Receiver of saves and deletes of notices and statuses (and callable as is)."""
    global _generation
    with _lock:
        _generation += 1
        _open_until.clear()


for _model in (MaintenanceNotice, ServiceStatus):
    post_save.connect(gates_forget, sender=_model, dispatch_uid=f"operations.gates.{_model.__name__}.saved")
    post_delete.connect(gates_forget, sender=_model, dispatch_uid=f"operations.gates.{_model.__name__}.deleted")


def _check(*, service: str) -> None:
    checked_at, generation = time.monotonic(), _generation
    now = timezone.now()
    notice = maintenance_notice_in_effect(service=service, now=now)
    if notice is not None:
        raise ServiceError(
            "SERVICE_UNAVAILABLE",
            f"{service} is under maintenance until {isoformat(notice.end_time)}: {notice.description}",
            details={
                "service": service,
                "reason": "maintenance",
                "notice_id": notice.id,
                "start_time": isoformat(notice.start_time),
                "end_time": isoformat(notice.end_time),
                "description": notice.description,
            },
            status_code=503,
        )
    if ServiceStatus.objects.filter(pk=service, status=HealthStatus.DOWN).exists():
        raise ServiceError(
            "SERVICE_UNAVAILABLE",
            f"{service} is down.",
            details={"service": service, "reason": "down"},
            status_code=503,
        )
    _remember_open(service=service, checked_at=checked_at, generation=generation, now=now)


def _remember_open(*, service: str, checked_at: float, generation: int, now: datetime) -> None:
    next_start = (
        MaintenanceNotice.objects.filter(service=service, state__in=LIVE_STATES, start_time__gt=now)
        .order_by("start_time")
        .values_list("start_time", flat=True)
        .first()
    )
    open_for = OPEN_CACHE_S if next_start is None else min(OPEN_CACHE_S, (next_start - now).total_seconds())
    with _lock:
        if generation == _generation:
            _open_until[service] = checked_at + open_for
