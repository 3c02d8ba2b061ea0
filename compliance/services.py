"""Every change of alerts and KYC happens here: audited, and announced on compliance_events."""

import hashlib
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
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
from .evidence import sniffed_type
from .models import (
    Alert,
    AlertAuditEntry,
    AlertNote,
    AlertStatus,
    AlertType,
    ApprovalAction,
    ApprovalRequest,
    ApprovalStatus,
    Case,
    CaseAttachment,
    CaseNote,
    CaseStatus,
    Disposition,
    KycChange,
    Sar,
    SarStatus,
    Severity,
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
# Closing an alert of these severities (or a case holding one), and filing any SAR, needs a second officer.
FOUR_EYES_SEVERITIES = {Severity.HIGH, Severity.CRITICAL}

# The actor of a KYC decision taken at the command line (manage.py create_account): whoever runs
# manage.py is trusted as any shell access is; the change is recorded without a user.
COMMAND_LINE = object()


def _require_officer(user) -> None:
    if user is None or not user_is_officer(user):
        raise ServiceError("PERMISSION_DENIED", "Only compliance officers may do this.", status_code=403)


def _sla_due(severity: str, start):
    sla = SeveritySla.objects.filter(severity=severity).first()
    return start + timedelta(hours=sla.hours if sla else SLA_HOURS[severity])


def _audit(alert: Alert | None, *, actor, action: str, before: Any, after: Any, case: Case | None = None) -> None:
    AlertAuditEntry.objects.create(alert=alert, case=case, actor=actor, action=action, before=before, after=after)


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
    """Move an alert through the workflow; closing needs a disposition, reopening clears it.

    Closing a high or critical alert needs a second officer's approval: see alert_close.
    """
    _require_officer(actor)
    alert = _locked_alert(alert_id)
    alert_move_check(current=alert.status, status=status, disposition=disposition)
    if status == AlertStatus.CLOSED and alert.severity in FOUR_EYES_SEVERITIES:
        raise ServiceError(
            "APPROVAL_REQUIRED",
            f"Closing a {alert.severity} alert needs a second officer's approval: request it with a close action.",
            details={"alert_id": alert.id, "severity": alert.severity},
            status_code=409,
        )
    previous_status = _alert_move(alert, status=status, disposition=disposition, actor=actor)
    _announce(alert, actor=actor, change="status", previous_status=previous_status)
    return alert


def _alert_move(alert: Alert, *, status: str, disposition: str, actor) -> str:
    """The move itself, audited (the callers check and announce it); returns the previous status."""
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
    return before["status"]


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
    text = _valid_note(text)
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


# Cases: related alerts worked together. Their changes are audited on the case's trail (and on each alert's
# when the alert itself changes) and announced as alert_updated for every alert they touch.


def _valid_note(text: str) -> str:
    text = text.strip()
    if not text or len(text) > MAX_NOTE_LENGTH:
        raise ServiceError("INVALID_NOTE", f"A note has 1 to {MAX_NOTE_LENGTH} characters.")
    return text


def _locked_case(case_id: str) -> Case:
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise ServiceError("CASE_NOT_FOUND", f"No case {case_id}.", status_code=404)
    return case


def _open_case(case_id: str) -> Case:
    case = _locked_case(case_id)
    if case.status != CaseStatus.OPEN:
        raise ServiceError("CASE_CLOSED", f"Case {case.id} is closed.", status_code=409)
    return case


def _alerts_join(case: Case, *, alert_ids: list[str], actor) -> list[Alert]:
    alerts = list(Alert.objects.select_for_update().filter(pk__in=alert_ids))
    missing = sorted(set(alert_ids) - {alert.id for alert in alerts})
    if missing or not alerts:
        raise ServiceError("ALERT_NOT_FOUND", f"No alert {', '.join(missing)}.", status_code=404)
    taken = sorted(alert.id for alert in alerts if alert.case_id not in (None, case.id))
    if taken:
        raise ServiceError("ALERT_IN_ANOTHER_CASE", f"Already in another case: {', '.join(taken)}.", status_code=409)
    joining = [alert for alert in alerts if alert.case_id is None]
    for alert in joining:
        alert.case = case
        alert.save(update_fields=["case", "updated_at"])
        _audit(alert, actor=actor, action="case", before={"case": None}, after={"case": case.id})
        _announce(alert, actor=actor, change="case", previous_status=alert.status)
    if joining:
        _audit(None, case=case, actor=actor, action="alerts", before=None, after={"added": [a.id for a in joining]})
    return joining


@transaction.atomic
def case_create(*, alert_ids: list[str], title: str, actor) -> Case:
    """A case from related alerts, assigned to the officer who opens it."""
    _require_officer(actor)
    title = title.strip()
    if not title or len(title) > 200:
        raise ServiceError("INVALID_TITLE", "A case title has 1 to 200 characters.")
    case = Case.objects.create(title=title, assignee=actor, created_by=actor)
    _audit(None, case=case, actor=actor, action="created", before=None, after={"title": title, "assignee": actor.get_username()})
    _alerts_join(case, alert_ids=alert_ids, actor=actor)
    return case


@transaction.atomic
def case_alerts_add(*, case_id: str, alert_ids: list[str], actor) -> list[Alert]:
    _require_officer(actor)
    return _alerts_join(_open_case(case_id), alert_ids=alert_ids, actor=actor)


@transaction.atomic
def case_assign(*, case_id: str, assignee, actor) -> Case:
    """Give the case to an officer (or to nobody with assignee=None)."""
    _require_officer(actor)
    if assignee is not None and not user_is_officer(assignee):
        raise ServiceError("INVALID_ASSIGNEE", "Cases can only be assigned to compliance officers.")
    case = _locked_case(case_id)
    previous = case.assignee
    if previous == assignee:
        return case
    case.assignee = assignee
    case.save(update_fields=["assignee"])
    _audit(
        None, case=case, actor=actor, action="assignee",
        before={"assignee": previous.get_username() if previous else None},
        after={"assignee": assignee.get_username() if assignee else None},
    )
    return case


@transaction.atomic
def case_note_add(*, case_id: str, author, text: str) -> CaseNote:
    _require_officer(author)
    text = _valid_note(text)
    case = _locked_case(case_id)
    note = CaseNote.objects.create(case=case, author=author, text=text)
    _audit(None, case=case, actor=author, action="note", before=None, after={"note": text})
    return note


@transaction.atomic
def case_attachment_add(*, case_id: str, upload: File, actor) -> CaseAttachment:
    """Evidence on a case, kept through Django's storage API: at most CDX_CASE_ATTACHMENT_MAX_BYTES, and a PDF,
    PNG, JPEG, CSV or TXT file by its content (compliance.evidence), not only by its name."""
    _require_officer(actor)
    name, content, content_type = case_attachment_check(upload=upload)
    case = _locked_case(case_id)
    attachment = CaseAttachment(
        case=case, name=name, content_type=content_type, size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), uploaded_by=actor,
    )
    attachment.file.save(name, ContentFile(content), save=False)
    attachment.save()
    _audit(
        None, case=case, actor=actor, action="attachment", before=None,
        after={"name": name, "content_type": content_type, "size": len(content), "sha256": attachment.sha256},
    )
    return attachment


def case_attachment_check(*, upload: File) -> tuple[str, bytes, str]:
    """Refuses a file too large or not of an allowed type; returns its name, content and sniffed type."""
    limit = settings.CDX_CASE_ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise ServiceError("ATTACHMENT_TOO_LARGE", f"An attachment has at most {limit} bytes.", status_code=413)
    name = Path(upload.name or "").name
    upload.seek(0)
    content = upload.read()
    content_type = sniffed_type(name=name, content=content)
    if content_type is None:
        raise ServiceError(
            "ATTACHMENT_TYPE_NOT_ALLOWED",
            f"{name!r} is not a PDF, PNG, JPEG, CSV or TXT file (checked by its content and its extension).",
            status_code=415,
        )
    return name, content, content_type


def _case_needs_four_eyes(case: Case) -> bool:
    return case.alerts.filter(severity__in=FOUR_EYES_SEVERITIES).exists()


def _case_close_check(case: Case, *, disposition: str) -> None:
    if case.status != CaseStatus.OPEN:
        raise ServiceError("CASE_CLOSED", f"Case {case.id} is closed.", status_code=409)
    if disposition not in Disposition.values:
        raise ServiceError("DISPOSITION_REQUIRED", f"Closing a case needs a disposition: {', '.join(Disposition.values)}.")


def _case_close(case: Case, *, disposition: str, actor, change: str) -> None:
    """Close the case and its open alerts with its disposition; each alert is announced with `change`."""
    case.status, case.disposition, case.closed_at = CaseStatus.CLOSED, disposition, timezone.now()
    case.save(update_fields=["status", "disposition", "closed_at"])
    _audit(None, case=case, actor=actor, action="status", before={"status": "open"}, after={"status": "closed", "disposition": disposition})
    for alert in case.alerts.select_for_update().exclude(status=AlertStatus.CLOSED):
        previous_status = _alert_move(alert, status=AlertStatus.CLOSED, disposition=disposition, actor=actor)
        _announce(alert, actor=actor, change=change, previous_status=previous_status)


@transaction.atomic
def case_close(*, case_id: str, disposition: str, actor) -> Case | ApprovalRequest:
    """Close a case at once, or, when it holds a high or critical alert, ask a second officer to approve it."""
    _require_officer(actor)
    case = _locked_case(case_id)
    _case_close_check(case, disposition=disposition)
    if _case_needs_four_eyes(case):
        return approval_request(action=ApprovalAction.CLOSE_CASE, case_id=case.id, disposition=disposition, actor=actor)
    _case_close(case, disposition=disposition, actor=actor, change="status")
    return case


@transaction.atomic
def alert_close(*, alert_id: str, disposition: str, actor) -> Alert | ApprovalRequest:
    """Close an alert at once, or, when it is high or critical, ask a second officer to approve it."""
    _require_officer(actor)
    alert = _locked_alert(alert_id)
    alert_move_check(current=alert.status, status=AlertStatus.CLOSED, disposition=disposition)
    if alert.severity in FOUR_EYES_SEVERITIES:
        return approval_request(action=ApprovalAction.CLOSE_ALERT, alert_id=alert.id, disposition=disposition, actor=actor)
    return alert_status_change(alert_id=alert.id, status=AlertStatus.CLOSED, disposition=disposition, actor=actor)


# SARs: draft -> in review -> filed, filing only through a second officer's approval.


def _locked_sar(sar_id: str) -> Sar:
    sar = Sar.objects.select_for_update(of=("self",)).select_related("case", "alert").filter(pk=sar_id).first()
    if sar is None:
        raise ServiceError("SAR_NOT_FOUND", f"No SAR {sar_id}.", status_code=404)
    return sar


def _sar_audit(sar: Sar, *, actor, before: Any, after: Any) -> None:
    _audit(sar.alert, case=sar.case, actor=actor, action="sar", before=before, after={"sar": sar.id, **after})


@transaction.atomic
def sar_create(*, narrative: str, actor, case_id: str | None = None, alert_id: str | None = None) -> Sar:
    """A draft SAR on a case or on an alert (exactly one of them)."""
    _require_officer(actor)
    if (case_id is None) == (alert_id is None):
        raise ServiceError("SAR_SUBJECT_REQUIRED", "A SAR is about one case or one alert.")
    case = _locked_case(case_id) if case_id else None
    alert = _locked_alert(alert_id) if alert_id else None
    sar = Sar.objects.create(case=case, alert=alert, narrative=_valid_note(narrative), created_by=actor)
    _sar_audit(sar, actor=actor, before=None, after={"status": sar.status})
    return sar


@transaction.atomic
def sar_narrative_set(*, sar_id: str, narrative: str, actor) -> Sar:
    _require_officer(actor)
    sar = _locked_sar(sar_id)
    if sar.status != SarStatus.DRAFT:
        raise ServiceError("SAR_NOT_DRAFT", "Only a draft SAR can be edited.", status_code=409)
    narrative = _valid_note(narrative)
    if narrative != sar.narrative:
        before = {"narrative": sar.narrative}
        sar.narrative = narrative
        sar.save(update_fields=["narrative"])
        _sar_audit(sar, actor=actor, before=before, after={"narrative": narrative})
    return sar


@transaction.atomic
def sar_submit(*, sar_id: str, actor) -> Sar:
    """A draft goes to review."""
    _require_officer(actor)
    sar = _locked_sar(sar_id)
    if sar.status != SarStatus.DRAFT:
        raise ServiceError("SAR_NOT_DRAFT", f"The SAR is {sar.status}; only a draft goes to review.", status_code=409)
    sar.status = SarStatus.IN_REVIEW
    sar.save(update_fields=["status"])
    _sar_audit(sar, actor=actor, before={"status": SarStatus.DRAFT}, after={"status": sar.status})
    return sar


# Four eyes: the request is recorded and audited, another officer approves (the action is then done) or rejects.


def _approval_alerts(approval: ApprovalRequest) -> list[Alert]:
    if approval.alert_id:
        return [approval.alert]  # type: ignore[list-item]
    if approval.case_id:
        return list(approval.case.alerts.all())  # type: ignore[union-attr]
    return approval.sar.subject_alerts()  # type: ignore[union-attr]


def _approval_audit(approval: ApprovalRequest, *, actor, action: str, after: dict) -> None:
    alert, case = approval.alert, approval.case
    if approval.sar_id:
        alert, case = approval.sar.alert, approval.sar.case  # type: ignore[union-attr]
    _audit(alert, case=case, actor=actor, action=action, before=None, after={"approval": approval.id, **after})


def _approval_check(*, action: str, alert: Alert | None, case: Case | None, sar: Sar | None, disposition: str) -> None:
    """The action must be one a second officer could carry out now."""
    if action == ApprovalAction.CLOSE_ALERT and alert is not None:
        alert_move_check(current=alert.status, status=AlertStatus.CLOSED, disposition=disposition)
    elif action == ApprovalAction.CLOSE_CASE and case is not None:
        _case_close_check(case, disposition=disposition)
    elif action == ApprovalAction.FILE_SAR and sar is not None:
        if sar.status != SarStatus.IN_REVIEW:
            raise ServiceError("SAR_NOT_IN_REVIEW", f"The SAR is {sar.status}; only one in review is filed.", status_code=409)
    else:
        raise ServiceError("INVALID_APPROVAL", f"{action!r} needs its alert, case or SAR.")


@transaction.atomic
def approval_request(
    *,
    action: str,
    actor,
    alert_id: str | None = None,
    case_id: str | None = None,
    sar_id: str | None = None,
    disposition: str = "",
    reason: str = "",
) -> ApprovalRequest:
    """Ask a second officer to close a high or critical alert, close a case holding one, or file a SAR."""
    _require_officer(actor)
    alert = _locked_alert(alert_id) if alert_id else None
    case = _locked_case(case_id) if case_id else None
    sar = _locked_sar(sar_id) if sar_id else None
    _approval_check(action=action, alert=alert, case=case, sar=sar, disposition=disposition)
    pending = ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING, alert=alert, case=case, sar=sar)
    if pending.exists():
        raise ServiceError("APPROVAL_PENDING", "A request for this is already waiting for approval.", status_code=409)
    approval = ApprovalRequest.objects.create(
        action=action, alert=alert, case=case, sar=sar, disposition=disposition, reason=reason.strip(), requested_by=actor
    )
    _approval_audit(approval, actor=actor, action="approval_requested", after={"action": action, "disposition": disposition})
    for subject in _approval_alerts(approval):
        _announce(subject, actor=actor, change="approval_requested", previous_status=subject.status)
    return approval


@transaction.atomic
def approval_decide(*, approval_id: str, approve: bool, actor, note: str = "") -> ApprovalRequest:
    """A second officer approves (the requested action is done now) or rejects a request; never the requester."""
    _require_officer(actor)
    approval = ApprovalRequest.objects.select_for_update().filter(pk=approval_id).first()
    if approval is None:
        raise ServiceError("APPROVAL_NOT_FOUND", f"No approval request {approval_id}.", status_code=404)
    if approval.status != ApprovalStatus.PENDING:
        raise ServiceError("APPROVAL_DECIDED", f"The request was already {approval.status}.", status_code=409)
    if approval.requested_by_id == actor.pk:
        raise ServiceError("SELF_APPROVAL", "A second officer must decide on your own request.", status_code=403)
    approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    approval.decided_by, approval.decided_at, approval.decision_note = actor, timezone.now(), note.strip()
    approval.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _approval_audit(approval, actor=actor, action=approval.status, after={"action": approval.action, "note": approval.decision_note})
    change = str(approval.status)
    if not approve:
        if approval.sar_id:
            _sar_back_to_draft(approval.sar, actor=actor)  # type: ignore[arg-type]
        for subject in _approval_alerts(approval):
            _announce(subject, actor=actor, change=change, previous_status=subject.status)
        return approval
    alert, case, sar = _approval_subjects_locked(approval)
    _approval_check(action=approval.action, alert=alert, case=case, sar=sar, disposition=approval.disposition)
    if alert is not None:
        previous_status = _alert_move(alert, status=AlertStatus.CLOSED, disposition=approval.disposition, actor=actor)
        _announce(alert, actor=actor, change=change, previous_status=previous_status)
    elif case is not None:
        _case_close(case, disposition=approval.disposition, actor=actor, change=change)
    elif sar is not None:
        _sar_file(sar, filed_by=approval.requested_by, approved_by=actor)
        for subject in sar.subject_alerts():
            _announce(subject, actor=actor, change=change, previous_status=subject.status)
    return approval


def _approval_subjects_locked(approval: ApprovalRequest) -> tuple[Alert | None, Case | None, Sar | None]:
    return (
        _locked_alert(approval.alert_id) if approval.alert_id else None,
        _locked_case(approval.case_id) if approval.case_id else None,
        _locked_sar(approval.sar_id) if approval.sar_id else None,
    )


def _sar_back_to_draft(sar: Sar, *, actor) -> None:
    sar.status = SarStatus.DRAFT
    sar.save(update_fields=["status"])
    _sar_audit(sar, actor=actor, before={"status": SarStatus.IN_REVIEW}, after={"status": sar.status})


def _sar_file(sar: Sar, *, filed_by, approved_by) -> None:
    sar.status, sar.filed_by, sar.approved_by, sar.filed_at = SarStatus.FILED, filed_by, approved_by, timezone.now()
    sar.save(update_fields=["status", "filed_by", "approved_by", "filed_at"])
    _sar_audit(
        sar, actor=approved_by, before={"status": SarStatus.IN_REVIEW},
        after={"status": sar.status, "filed_by": filed_by.get_username(), "approved_by": approved_by.get_username()},
    )
