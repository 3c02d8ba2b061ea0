"""Checks other apps call before work a service must be open for (order_place calls it for matching_engine)."""

from kernel.errors import ServiceError
from kernel.json import isoformat

from .models import HealthStatus, ServiceStatus
from .selectors import maintenance_notice_in_effect


def ensure_service_open(*, service: str) -> None:
    """Raises SERVICE_UNAVAILABLE (503) while the service is in maintenance or an administrator has it down."""
    notice = maintenance_notice_in_effect(service=service)
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
