"""The compliance_events channel and its events, declared once for the services that raise and change alerts."""

from datetime import datetime
from decimal import Decimal

from streams.events import Event

from .models import Alert

COMPLIANCE_EVENTS = "compliance_events"


class SuspiciousActivityDetected(Event, type="suspicious_activity_detected", channel=COMPLIANCE_EVENTS):
    event_id: str
    alert_id: str  # the alert behind the event (docs/compliance.md)
    account_id: str
    activity_type: str
    severity: str
    description: str
    action_required: bool


class LargeTransactionAlert(Event, type="large_transaction_alert", channel=COMPLIANCE_EVENTS):
    alert_id: str
    account_id: str
    transaction_type: str
    amount: Decimal
    threshold: Decimal


class KycStatusChanged(Event, type="kyc_status_changed", channel=COMPLIANCE_EVENTS):
    account_id: str
    new_status: str
    previous_status: str
    kyc_tier: str


class AlertUpdated(Event, type="alert_updated", channel=COMPLIANCE_EVENTS):
    """An alert's status, assignee or notes changed, it joined a case, or a four-eyes request on it was made,
    approved or rejected (`change`)."""

    alert_id: str
    account_id: str
    alert_type: str
    severity: str
    change: str
    status: str
    previous_status: str
    disposition: str | None
    assignee: str | None
    due_at: datetime
    changed_by: str

    @classmethod
    def of(cls, alert: Alert, *, actor, change: str, previous_status: str) -> "AlertUpdated":
        return cls(
            alert_id=alert.id,
            account_id=alert.account_id,
            alert_type=alert.alert_type,
            severity=alert.severity,
            change=change,
            status=alert.status,
            previous_status=previous_status,
            disposition=alert.disposition or None,
            assignee=alert.assignee.get_username() if alert.assignee else None,
            due_at=alert.due_at,
            changed_by=actor.get_username(),
        )
