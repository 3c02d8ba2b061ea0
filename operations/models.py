from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kernel.ids import PublicIdField


class Service(models.TextChoices):
    MATCHING_ENGINE = "matching_engine"
    SETTLEMENT_SERVICE = "settlement_service"
    COMPLIANCE_SERVICE = "compliance_service"
    MARKET_DATA = "market_data"
    WEBSOCKET_GATEWAY = "websocket_gateway"


class HealthStatus(models.TextChoices):
    OPERATIONAL = "operational"
    DEGRADED = "degraded"
    DOWN = "down"


class StatusSource(models.TextChoices):
    """Who set a service's status: probes only ever change what they set themselves (or operational)."""

    ADMINISTRATOR = "administrator"
    PROBE = "probe"


class ServiceStatus(models.Model):
    """The health of one service as set by an administrator or a probe (maintenance is a notice, not a status)."""

    service = models.CharField(primary_key=True, max_length=32, choices=Service.choices)
    status = models.CharField(max_length=16, choices=HealthStatus.choices, default=HealthStatus.OPERATIONAL)
    message = models.CharField(max_length=500, blank=True)
    since = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=16, choices=StatusSource.choices, default=StatusSource.ADMINISTRATOR)

    class Meta:
        ordering = ["service"]
        verbose_name_plural = "service statuses"

    def __str__(self) -> str:
        return f"{self.service}: {self.status}"


class NoticeState(models.TextChoices):
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


LIVE_STATES = (NoticeState.SCHEDULED, NoticeState.ACTIVE)


class MaintenanceNotice(models.Model):
    """A maintenance window of one service; the maintenance job moves it scheduled -> active -> completed."""

    id = PublicIdField(prefix="mnt")
    service = models.CharField(max_length=32, choices=Service.choices)
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    description = models.CharField(max_length=500)
    state = models.CharField(max_length=16, choices=NoticeState.choices, default=NoticeState.SCHEDULED)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=models.F("start_time")), name="notice_ends_after_start"),
        ]
        indexes = [models.Index(fields=["state", "start_time"], name="notice_state_start")]

    def __str__(self) -> str:
        return f"{self.service} {self.start_time:%Y-%m-%d %H:%M} ({self.state})"
