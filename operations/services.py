"""Every change of service status and maintenance notices, and the system_health events it causes.

Each change runs in one transaction that first locks every service's status row, so operations changes
happen one at a time and each system_status is computed from the state it follows; the events are
published inside that transaction (a rolled-back change announces nothing).
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kernel import jobs
from kernel.errors import ServiceError
from streams.publishing import publish

from . import events
from .models import (
    LIVE_STATES,
    HealthStatus,
    MaintenanceNotice,
    NoticeState,
    Service,
    ServiceStatus,
    StatusSource,
)
from .selectors import system_overview

DESCRIPTION_MAX = 500


def _services_lock() -> dict[str, ServiceStatus]:
    """Every service's status row, locked until the transaction ends (rows are created when missing)."""
    ServiceStatus.objects.bulk_create([ServiceStatus(service=name) for name in Service.values], ignore_conflicts=True)
    return {row.service: row for row in ServiceStatus.objects.select_for_update().order_by("service")}


def _service_change_announce(*, service: str, now: datetime) -> None:
    overview = system_overview(now=now)
    publish(event=events.ServiceDegraded.of(overview.service(service)))
    publish(event=events.SystemStatus.of(overview))


# Service status


def service_status_set(
    *, service: str, status: str, message: str = "", source: str = StatusSource.ADMINISTRATOR
) -> ServiceStatus:
    """Set a service's status; announces service_degraded and system_status when anything changed."""
    if service not in Service.values:
        raise ValidationError({"service": [f"Must be one of {', '.join(Service.values)}."]})
    if status not in HealthStatus.values:
        raise ValidationError({"status": [f"Must be one of {', '.join(HealthStatus.values)}."]})
    if len(message) > DESCRIPTION_MAX:
        raise ValidationError({"message": [f"At most {DESCRIPTION_MAX} characters."]})
    with transaction.atomic():
        row = _services_lock()[service]
        if (row.status, row.message, row.source) == (status, message, source):
            return row
        now = timezone.now()
        if row.status != status:
            row.since = now
        row.status, row.message, row.source = status, message, source
        row.save()
        _service_change_announce(service=service, now=now)
        return row


def _probe_may_change(row: ServiceStatus, status: str) -> bool:
    # A probe never overrides an administrator's degraded or down; it only changes its own findings.
    return row.status != status and (row.status == HealthStatus.OPERATIONAL or row.source == StatusSource.PROBE)


def service_status_observe(*, service: str, status: str, message: str) -> bool:
    """A probe's finding: recorded and announced only when the status changes. True if it did."""
    current = ServiceStatus.objects.filter(pk=service).first() or ServiceStatus(service=service)
    if not _probe_may_change(current, status):
        return False  # the common case: nothing changed, no write, no lock
    with transaction.atomic():
        row = _services_lock()[service]
        if not _probe_may_change(row, status):
            return False
        service_status_set(service=service, status=status, message=message, source=StatusSource.PROBE)
        return True


# Maintenance notices


def maintenance_window_check(
    *,
    service: str,
    start_time: datetime,
    end_time: datetime,
    description: str,
    now: datetime,
    notice_id: str | None = None,
) -> None:
    """Refuses a window that is malformed, already over, or overlaps another window of the same service."""
    errors = {}
    if service not in Service.values:
        errors["service"] = [f"Must be one of {', '.join(Service.values)}."]
    if not description.strip():
        errors["description"] = ["Must not be blank."]
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = [f"At most {DESCRIPTION_MAX} characters."]
    if end_time <= start_time:
        errors["end_time"] = ["Must be after start_time."]
    elif end_time <= now:
        errors["end_time"] = ["Must be in the future."]
    if errors:
        raise ValidationError(errors)
    overlapping = (
        MaintenanceNotice.objects.filter(
            service=service, state__in=LIVE_STATES, start_time__lt=end_time, end_time__gt=start_time
        )
        .exclude(pk=notice_id)
        .first()
    )
    if overlapping is not None:
        raise ServiceError(
            "MAINTENANCE_OVERLAP",
            f"{service} already has a maintenance window from {overlapping.start_time:%Y-%m-%d %H:%M} "
            f"to {overlapping.end_time:%Y-%m-%d %H:%M} UTC.",
            details={"notice_id": overlapping.id, "service": service},
            status_code=409,
        )


@transaction.atomic
def maintenance_notice_post(
    *, author, service: str, start_time: datetime, end_time: datetime, description: str
) -> MaintenanceNotice:
    """Announce a maintenance window at once; the maintenance job starts and ends it on time."""
    _services_lock()
    now = timezone.now()
    description = description.strip()
    maintenance_window_check(
        service=service, start_time=start_time, end_time=end_time, description=description, now=now
    )
    notice = MaintenanceNotice.objects.create(
        service=service,
        start_time=start_time,
        end_time=end_time,
        description=description,
        author=author,
        created_at=now,
        updated_at=now,
    )
    publish(event=events.MaintenanceNotice.of(notice))
    if start_time <= now:
        transaction.on_commit(jobs.wake)  # it starts now: let the job announce it without waiting a tick
    return notice


def _notice_lock(notice_id: str) -> MaintenanceNotice:
    notice = MaintenanceNotice.objects.select_for_update().filter(pk=notice_id).first()
    if notice is None:
        raise ServiceError("NOTICE_NOT_FOUND", "No such maintenance notice.", details={"notice_id": notice_id}, status_code=404)
    if notice.state not in LIVE_STATES:
        raise ServiceError(
            "NOTICE_CLOSED",
            f"The notice is {notice.state} and can no longer change.",
            details={"notice_id": notice.id, "state": notice.state},
            status_code=409,
        )
    return notice


@transaction.atomic
def maintenance_notice_update(
    *, notice_id: str, service: str, start_time: datetime, end_time: datetime, description: str
) -> MaintenanceNotice:
    """Change a window. A started window keeps its service and start; it may end earlier or later.

    Re-announced as maintenance_notice; when the service or start changes, the old window is first
    withdrawn (sent with end_time == start_time), since clients know a window by (service, start_time).
    """
    _services_lock()
    notice = _notice_lock(notice_id)
    now = timezone.now()
    description = description.strip()
    moved = (service, start_time) != (notice.service, notice.start_time)
    if moved and notice.start_time <= now:
        raise ServiceError(
            "NOTICE_STARTED",
            "This maintenance has started: only its end time and description can change.",
            details={"notice_id": notice.id},
        )
    maintenance_window_check(
        service=service, start_time=start_time, end_time=end_time, description=description, now=now, notice_id=notice.id
    )
    if moved:
        publish(event=events.MaintenanceNotice.of(notice, withdrawn=True))
    notice.service, notice.start_time, notice.end_time = service, start_time, end_time
    notice.description, notice.updated_at = description, now
    notice.save()
    publish(event=events.MaintenanceNotice.of(notice))
    transaction.on_commit(jobs.wake)  # the window may now start (or end) at once
    return notice


@transaction.atomic
def maintenance_notice_cancel(*, notice_id: str) -> MaintenanceNotice:
    """Withdraw a window; if it was in effect the service returns at once (service_degraded, system_status)."""
    _services_lock()
    notice = _notice_lock(notice_id)
    now = timezone.now()
    was_in_effect = notice.start_time <= now
    notice.state, notice.updated_at = NoticeState.CANCELLED, now
    notice.save(update_fields=["state", "updated_at"])
    publish(event=events.MaintenanceNotice.of(notice, withdrawn=True))
    if was_in_effect:
        _service_change_announce(service=notice.service, now=now)
    return notice


def maintenance_windows_advance(*, now: datetime | None = None) -> int:
    """The maintenance job: start the windows whose time has come and complete those that are over.

    Each move is a conditional update in its own transaction, so two overlapping runners move (and
    announce) a notice once. Returns how many notices moved.
    """
    now = now or timezone.now()
    moves = {
        NoticeState.ACTIVE: MaintenanceNotice.objects.filter(
            state=NoticeState.SCHEDULED, start_time__lte=now, end_time__gt=now
        ),
        NoticeState.COMPLETED: MaintenanceNotice.objects.filter(state__in=LIVE_STATES, end_time__lte=now),
    }
    moved = 0
    for to_state, candidates in moves.items():
        for notice_id in candidates.values_list("id", flat=True):
            moved += _notice_move(candidates=candidates.filter(pk=notice_id), to_state=to_state, now=now)
    return moved


@transaction.atomic
def _notice_move(*, candidates, to_state: str, now: datetime) -> bool:
    _services_lock()
    service = candidates.values_list("service", flat=True).first()
    # The update re-checks the conditions: another runner or an administrator may have got there first.
    if service is None or not candidates.update(state=to_state, updated_at=now):
        return False
    _service_change_announce(service=service, now=now)
    return True
