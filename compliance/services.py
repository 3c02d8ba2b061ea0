"""Every change of alerts and KYC happens here: audited, and announced on compliance_events."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, KycStatus, KycTier
from accounts.roles import user_is_officer
from kernel.errors import ServiceError
from kernel.ids import new_id
from kernel.json import isoformat
from streams.publishing import publish

from .defaults import SLA_HOURS
from .events import AlertUpdated, KycStatusChanged, LargeTransactionAlert, SuspiciousActivityDetected
from .models import (
    Alert,
    AlertAuditEntry,
    AlertNote,
    AlertStatus,
    AlertType,
    Disposition,
    KycChange,
    SeveritySla,
    SurveillanceRule,
)

# The workflow: open -> investigating -> escalated -> closed, closing allowed from any open state
# (most alerts are false positives closed straight from the queue), and reopening a closed alert.
ALLOWED_MOVES: dict[str, set[str]] = {
    AlertStatus.OPEN: {AlertStatus.INVESTIGATING, AlertStatus.CLOSED},
    AlertStatus.INVESTIGATING: {AlertStatus.ESCALATED, AlertStatus.CLOSED},
    AlertStatus.ESCALATED: {AlertStatus.CLOSED},
    AlertStatus.CLOSED: {AlertStatus.OPEN},
}
MAX_NOTE_LENGTH = 10_000

# The actor of a KYC decision taken at the command line (manage.py create_account): whoever runs
# manage.py is trusted as any shell access is; the change is recorded without a user.
COMMAND_LINE = object()


def _require_officer(user) -> None:
    if user is None or not user_is_officer(user):
        raise ServiceError("PERMISSION_DENIED", "Only compliance officers may do this.", status_code=403)


def _sla_due(severity: str, start):
    sla = SeveritySla.objects.filter(severity=severity).first()
    return start + timedelta(hours=sla.hours if sla else SLA_HOURS[severity])


def _audit(alert: Alert, *, actor, action: str, before: Any, after: Any) -> None:
    AlertAuditEntry.objects.create(alert=alert, actor=actor, action=action, before=before, after=after)


@transaction.atomic
def alert_raise(
    *,
    rule: SurveillanceRule,
    account_id: str,
    alert_type: str,
    description: str,
    facts: dict[str, Any],
    transaction_type: str | None = None,
    amount: Decimal | None = None,
    threshold: Decimal | None = None,
) -> Alert | None:
    """A rule fired: a new alert, unless the rule already has an open one for this account in its window.

    Large transactions are announced as large_transaction_alert (with transaction_type, amount and
    threshold), everything else as suspicious_activity_detected. Returns None for a duplicate.
    """
    # Lock the account so two evaluations of one burst cannot both pass the duplicate check.
    Account.objects.select_for_update(no_key=True).filter(pk=account_id).first()
    now = timezone.now()
    duplicate = Alert.objects.filter(
        rule=rule,
        account_id=account_id,
        raised_at__gte=now - timedelta(seconds=rule.window_seconds),
    ).exclude(status=AlertStatus.CLOSED)
    if duplicate.exists():
        return None
    alert = Alert.objects.create(
        alert_type=alert_type,
        severity=rule.severity,
        account_id=account_id,
        rule=rule,
        description=description,
        facts=facts,
        event_id=new_id("evt"),
        raised_at=now,
        due_at=_sla_due(rule.severity, now),
    )
    _audit(
        alert,
        actor=None,
        action="raised",
        before=None,
        after={"status": alert.status, "severity": alert.severity, "rule": rule.code, "due_at": isoformat(alert.due_at)},
    )
    if alert_type == AlertType.LARGE_TRANSACTION:
        assert transaction_type is not None and amount is not None and threshold is not None  # the rule passes all three
        publish(
            event=LargeTransactionAlert(
                alert_id=alert.id,
                account_id=account_id,
                transaction_type=transaction_type,
                amount=amount,
                threshold=threshold,
            )
        )
    else:
        publish(
            event=SuspiciousActivityDetected(
                event_id=alert.event_id,
                alert_id=alert.id,
                account_id=account_id,
                activity_type=alert_type,
                severity=alert.severity,
                description=description,
                action_required=True,
            )
        )
    return alert


def _locked_alert(alert_id: str) -> Alert:
    alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
    if alert is None:
        raise ServiceError("ALERT_NOT_FOUND", f"No alert {alert_id}.", status_code=404)
    return alert


def _announce(alert: Alert, *, actor, change: str, previous_status: str) -> None:
    publish(event=AlertUpdated.of(alert, actor=actor, change=change, previous_status=previous_status))


def alert_move_check(*, current: str, status: str, disposition: str) -> None:
    """Refuses a move the workflow does not allow (the admin form asks this before saving)."""
    if status not in AlertStatus.values:
        raise ServiceError("INVALID_STATUS", f"Unknown alert status {status!r}.", details={"status": status})
    if status not in ALLOWED_MOVES[current]:
        raise ServiceError(
            "INVALID_TRANSITION",
            f"An alert cannot move from {current} to {status}.",
            details={"from": current, "to": status, "allowed": sorted(ALLOWED_MOVES[current])},
            status_code=409,
        )
    closing = status == AlertStatus.CLOSED
    if closing and disposition not in Disposition.values:
        raise ServiceError(
            "DISPOSITION_REQUIRED",
            f"Closing an alert needs a disposition: {', '.join(Disposition.values)}.",
            details={"disposition": disposition},
        )
    if not closing and disposition:
        raise ServiceError("DISPOSITION_NOT_ALLOWED", "Only closing an alert sets a disposition.")


@transaction.atomic
def alert_status_change(*, alert_id: str, status: str, actor, disposition: str = "") -> Alert:
    """Move an alert through the workflow; closing needs a disposition, reopening clears it."""
    _require_officer(actor)
    alert = _locked_alert(alert_id)
    alert_move_check(current=alert.status, status=status, disposition=disposition)
    closing = status == AlertStatus.CLOSED
    before = {"status": alert.status, "disposition": alert.disposition, "due_at": isoformat(alert.due_at)}
    now = timezone.now()
    alert.status = status
    alert.disposition = disposition
    alert.closed_at = now if closing else None
    if status == AlertStatus.OPEN:  # reopened: a fresh SLA from now
        alert.due_at = _sla_due(alert.severity, now)
    alert.save(update_fields=["status", "disposition", "closed_at", "due_at", "updated_at"])
    after = {"status": alert.status, "disposition": alert.disposition, "due_at": isoformat(alert.due_at)}
    _audit(
        alert,
        actor=actor,
        action="status",
        before={k: v for k, v in before.items() if v != after[k]},
        after={k: v for k, v in after.items() if v != before[k]},
    )
    _announce(alert, actor=actor, change="status", previous_status=before["status"])
    return alert


@transaction.atomic
def alert_assign(*, alert_id: str, assignee, actor) -> Alert:
    """Give the alert to an officer (or to nobody with assignee=None)."""
    _require_officer(actor)
    if assignee is not None:
        try:
            _require_officer(assignee)
        except ServiceError:
            raise ServiceError("INVALID_ASSIGNEE", "Alerts can only be assigned to compliance officers.") from None
    alert = _locked_alert(alert_id)
    previous = alert.assignee
    if previous == assignee:
        return alert
    alert.assignee = assignee
    alert.save(update_fields=["assignee", "updated_at"])
    _audit(
        alert,
        actor=actor,
        action="assignee",
        before={"assignee": previous.get_username() if previous else None},
        after={"assignee": assignee.get_username() if assignee else None},
    )
    _announce(alert, actor=actor, change="assignee", previous_status=alert.status)
    return alert


@transaction.atomic
def alert_note_add(*, alert_id: str, author, text: str) -> AlertNote:
    _require_officer(author)
    text = text.strip()
    if not text or len(text) > MAX_NOTE_LENGTH:
        raise ServiceError("INVALID_NOTE", f"A note has 1 to {MAX_NOTE_LENGTH} characters.")
    alert = _locked_alert(alert_id)
    note = AlertNote.objects.create(alert=alert, author=author, text=text)
    alert.save(update_fields=["updated_at"])
    _audit(alert, actor=author, action="note", before=None, after={"note": text})
    _announce(alert, actor=author, change="note", previous_status=alert.status)
    return note


@transaction.atomic
def account_kyc_set(*, account_id: str, status: str, tier: str, actor, reason: str = "") -> Account:
    """Record a KYC decision; announces kyc_status_changed when the status or tier changes.

    `actor` is the deciding officer, or COMMAND_LINE.
    """
    if actor is not COMMAND_LINE:
        _require_officer(actor)
    if status not in KycStatus.values:
        raise ServiceError("INVALID_KYC_STATUS", f"KYC status must be one of {', '.join(KycStatus.values)}.")
    if tier not in KycTier.values:
        raise ServiceError("INVALID_KYC_TIER", f"KYC tier must be one of {', '.join(KycTier.values)}.")
    account = Account.objects.select_for_update(no_key=True).filter(pk=account_id).first()
    if account is None:
        raise ServiceError("ACCOUNT_NOT_FOUND", f"No account {account_id}.", status_code=404)
    previous_status, previous_tier = account.kyc_status, account.kyc_tier
    if (previous_status, previous_tier) == (status, tier):
        return account
    account.kyc_status, account.kyc_tier = status, tier
    account.save(update_fields=["kyc_status", "kyc_tier"])
    KycChange.objects.create(
        account=account,
        actor=None if actor is COMMAND_LINE else actor,
        previous_status=previous_status,
        previous_tier=previous_tier,
        new_status=status,
        new_tier=tier,
        reason=reason,
    )
    publish(
        event=KycStatusChanged(
            account_id=account.id, new_status=status, previous_status=previous_status, kyc_tier=tier
        )
    )
    return account
