"""Reads of the venue's state: per-service status, maintenance windows, and the overall system status.

A service is "in maintenance" while a scheduled or active notice's window covers the current time, so
REST, the order gate and every broadcast agree even in the second before the maintenance job has moved
the notice's state. Overall status: "down" if any service is down, else "maintenance" if any is in
maintenance, else "degraded" if any is degraded, else "operational".
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from .models import LIVE_STATES, HealthStatus, MaintenanceNotice, Service, ServiceStatus

MAINTENANCE = "maintenance"
OVERALL_PRECEDENCE = (HealthStatus.DOWN, MAINTENANCE, HealthStatus.DEGRADED)


@dataclass(frozen=True)
class ServiceView:
    service: str
    status: str  # operational, degraded, down, or maintenance while a notice's window covers now
    message: str
    since: datetime | None
    notice: MaintenanceNotice | None = None


@dataclass(frozen=True)
class SystemOverview:
    status: str
    all_services_healthy: bool
    services: list[ServiceView]
    notices: list[MaintenanceNotice] = field(default_factory=list)  # active and upcoming, by start time
    as_of: datetime | None = None

    def service(self, name: str) -> ServiceView:
        return next(view for view in self.services if view.service == name)


def service_status_rows() -> dict[str, ServiceStatus]:
    """Every service's stored status; a service without a row (a flushed database) is operational."""
    rows = {row.service: row for row in ServiceStatus.objects.all()}
    return {
        # An unsaved stand-in: it has had no change, so no time (since is not nullable in the table).
        name: rows.get(name) or ServiceStatus(service=name, since=None)  # type: ignore[misc]
        for name in Service.values
    }


def maintenance_notices_live(*, now: datetime | None = None) -> list[MaintenanceNotice]:
    """Active and upcoming notices (not cancelled, not over), earliest first."""
    now = now or timezone.now()
    return list(
        MaintenanceNotice.objects.filter(state__in=LIVE_STATES, end_time__gt=now)
        .select_related("author")
        .order_by("start_time", "service")
    )


def maintenance_notice_in_effect(*, service: str, now: datetime | None = None) -> MaintenanceNotice | None:
    now = now or timezone.now()
    return (
        MaintenanceNotice.objects.filter(
            service=service, state__in=LIVE_STATES, start_time__lte=now, end_time__gt=now
        )
        .order_by("start_time")
        .first()
    )


def system_overview(*, now: datetime | None = None) -> SystemOverview:
    now = now or timezone.now()
    notices = maintenance_notices_live(now=now)
    in_effect: dict[str, MaintenanceNotice] = {}
    for notice in notices:
        if notice.start_time <= now:
            in_effect.setdefault(notice.service, notice)
    views = []
    for name, row in service_status_rows().items():
        maintenance = in_effect.get(name)
        if maintenance is not None:
            views.append(ServiceView(name, MAINTENANCE, maintenance.description, maintenance.start_time, maintenance))
        else:
            views.append(ServiceView(name, row.status, row.message, row.since))
    statuses = {view.status for view in views}
    overall = next((s for s in OVERALL_PRECEDENCE if s in statuses), HealthStatus.OPERATIONAL)
    return SystemOverview(
        status=str(overall),
        all_services_healthy=statuses == {HealthStatus.OPERATIONAL},
        services=views,
        notices=notices,
        as_of=now,
    )

