"""The seed's system_health events and their channel, declared once for the services and the snapshot."""

from datetime import datetime

from streams.events import Event

from . import models
from .selectors import ServiceView, SystemOverview

SYSTEM_HEALTH = "system_health"
CANCELLED_PREFIX = "Cancelled: "


class SystemStatus(Event, type="system_status", channel=SYSTEM_HEALTH):
    status: str
    all_services_healthy: bool

    @classmethod
    def of(cls, overview: SystemOverview, *, timestamp: datetime | None = None) -> "SystemStatus":
        return cls(status=overview.status, all_services_healthy=overview.all_services_healthy, timestamp=timestamp)


class ServiceDegraded(Event, type="service_degraded", channel=SYSTEM_HEALTH):
    """Sent whenever a service's status changes; `status` is the new one (operational when it recovered)."""

    service: str
    status: str
    message: str

    @classmethod
    def of(cls, view: ServiceView, *, timestamp: datetime | None = None) -> "ServiceDegraded":
        return cls(service=view.service, status=view.status, message=view.message, timestamp=timestamp)


class MaintenanceNotice(Event, type="maintenance_notice", channel=SYSTEM_HEALTH):
    """A window is known by (service, start_time); a withdrawn one comes back with end_time == start_time."""

    service: str
    start_time: datetime
    end_time: datetime
    description: str

    @classmethod
    def of(
        cls, notice: models.MaintenanceNotice, *, withdrawn: bool = False, timestamp: datetime | None = None
    ) -> "MaintenanceNotice":
        return cls(
            service=notice.service,
            start_time=notice.start_time,
            end_time=notice.start_time if withdrawn else notice.end_time,
            description=CANCELLED_PREFIX + notice.description if withdrawn else notice.description,
            timestamp=timestamp,
        )
