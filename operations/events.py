"""The seed's system_health events, built in one place for the services and the snapshot."""

from datetime import datetime
from typing import Any

from kernel.json import isoformat

from .models import MaintenanceNotice
from .selectors import ServiceView, SystemOverview

CHANNEL = "system_health"
CANCELLED_PREFIX = "Cancelled: "


def _stamped(event: dict[str, Any], timestamp: datetime | None) -> dict[str, Any]:
    if timestamp is not None:
        event["timestamp"] = isoformat(timestamp)
    return event


def system_status_event(overview: SystemOverview, *, timestamp: datetime | None = None) -> dict[str, Any]:
    event = {"type": "system_status", "status": overview.status, "all_services_healthy": overview.all_services_healthy}
    return _stamped(event, timestamp)


def service_degraded_event(view: ServiceView, *, timestamp: datetime | None = None) -> dict[str, Any]:
    """Sent whenever a service's status changes; `status` is the new one (operational when it recovered)."""
    event = {"type": "service_degraded", "service": view.service, "status": view.status, "message": view.message}
    return _stamped(event, timestamp)


def maintenance_notice_event(
    notice: MaintenanceNotice, *, withdrawn: bool = False, timestamp: datetime | None = None
) -> dict[str, Any]:
    """A window is known by (service, start_time); a withdrawn one comes back with end_time == start_time."""
    event = {
        "type": "maintenance_notice",
        "service": notice.service,
        "start_time": isoformat(notice.start_time),
        "end_time": isoformat(notice.start_time if withdrawn else notice.end_time),
        "description": CANCELLED_PREFIX + notice.description if withdrawn else notice.description,
    }
    return _stamped(event, timestamp)
