from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.models import AlertAuditEntry, AlertStatus, Disposition
from compliance.services import alert_assign, alert_note_add, alert_status_change
from kernel.errors import ServiceError
from tests.compliance.conftest import compliance_events
from tests.event_shapes import assert_event_shape

pytestmark = pytest.mark.django_db

OPEN, INVESTIGATING, ESCALATED, CLOSED = (
    AlertStatus.OPEN, AlertStatus.INVESTIGATING, AlertStatus.ESCALATED, AlertStatus.CLOSED,
)


def walk(alert, officer, *statuses):
    for status in statuses:
        disposition = Disposition.FALSE_POSITIVE if status == CLOSED else ""
        alert = alert_status_change(alert_id=alert.id, status=status, disposition=disposition, actor=officer)
    return alert


def test_a_raised_alert_is_open_with_an_sla_an_audit_entry_and_an_event(alert, trader):
    assert alert.id.startswith("alr_") and alert.status == OPEN and alert.severity == "medium"
    assert alert.due_at - alert.raised_at == timedelta(hours=72)  # the medium SLA
    (entry,) = alert.audit_trail.all()
    assert entry.action == "raised" and entry.actor is None and entry.after["status"] == "open"
    (event,) = compliance_events("suspicious_activity_detected")
    assert_event_shape(event)
    assert event["alert_id"] == alert.id and event["account_id"] == trader.account.id
    assert event["activity_type"] == "unusual_trading_pattern" and event["action_required"] is True
    assert event["event_id"] == alert.event_id and event["severity"] == "medium"


def test_a_second_alert_of_the_same_rule_and_account_in_the_window_is_a_duplicate(make_alert, trader, other_trader):
    first = make_alert(trader.account.id)
    assert make_alert(trader.account.id) is None
    assert make_alert(other_trader.account.id) is not None  # another account
    first.raised_at = timezone.now() - timedelta(minutes=3)  # the velocity window (2 minutes) has passed
    first.save(update_fields=["raised_at"])
    assert make_alert(trader.account.id) is not None


def test_a_closed_alert_does_not_block_a_new_one(make_alert, trader, officer):
    walk(make_alert(trader.account.id), officer, CLOSED)
    assert make_alert(trader.account.id) is not None


@pytest.mark.parametrize(
    "path",
    [
        [INVESTIGATING],
        [CLOSED],
        [INVESTIGATING, ESCALATED],
        [INVESTIGATING, CLOSED],
        [INVESTIGATING, ESCALATED, CLOSED],
        [CLOSED, OPEN],
        [CLOSED, OPEN, INVESTIGATING],
    ],
)
def test_allowed_moves(alert, officer, path):
    assert walk(alert, officer, *path).status == path[-1]


@pytest.mark.parametrize(
    "path, refused",
    [
        ([], ESCALATED),  # escalation follows an investigation
        ([], OPEN),  # already open
        ([INVESTIGATING], OPEN),
        ([INVESTIGATING], INVESTIGATING),
        ([INVESTIGATING, ESCALATED], INVESTIGATING),
        ([INVESTIGATING, ESCALATED], OPEN),
        ([CLOSED], INVESTIGATING),  # reopen first
        ([CLOSED], ESCALATED),
        ([CLOSED], CLOSED),
    ],
)
def test_refused_moves_change_nothing(alert, officer, path, refused):
    alert = walk(alert, officer, *path)
    entries = alert.audit_trail.count()
    disposition = Disposition.CONFIRMED_RISK if refused == CLOSED else ""
    with pytest.raises(ServiceError) as error:
        alert_status_change(alert_id=alert.id, status=refused, disposition=disposition, actor=officer)
    assert error.value.code == "INVALID_TRANSITION" and error.value.status_code == 409
    alert.refresh_from_db()
    assert alert.status == (path[-1] if path else OPEN) and alert.audit_trail.count() == entries


@pytest.mark.parametrize("disposition", ["", "maybe", "closed"])
def test_closing_needs_a_known_disposition(alert, officer, disposition):
    with pytest.raises(ServiceError) as error:
        alert_status_change(alert_id=alert.id, status=CLOSED, disposition=disposition, actor=officer)
    assert error.value.code == "DISPOSITION_REQUIRED"


def test_only_closing_sets_a_disposition_and_unknown_statuses_are_refused(alert, officer):
    with pytest.raises(ServiceError) as error:
        alert_status_change(alert_id=alert.id, status=INVESTIGATING, disposition="sar_filed", actor=officer)
    assert error.value.code == "DISPOSITION_NOT_ALLOWED"
    with pytest.raises(ServiceError) as error:
        alert_status_change(alert_id=alert.id, status="resolved", actor=officer)
    assert error.value.code == "INVALID_STATUS"
    with pytest.raises(ServiceError) as error:
        alert_status_change(alert_id="alr_0000000000000000", status=INVESTIGATING, actor=officer)
    assert (error.value.code, error.value.status_code) == ("ALERT_NOT_FOUND", 404)


def test_close_and_reopen(alert, officer):
    alert.due_at = timezone.now() - timedelta(hours=1)
    alert.save(update_fields=["due_at"])
    closed = alert_status_change(alert_id=alert.id, status=CLOSED, disposition="sar_filed", actor=officer)
    assert closed.disposition == "sar_filed" and closed.closed_at is not None
    reopened = alert_status_change(alert_id=alert.id, status=OPEN, actor=officer)
    assert reopened.disposition == "" and reopened.closed_at is None
    assert reopened.due_at > timezone.now() + timedelta(hours=71)  # a fresh SLA


def test_traders_cannot_work_alerts(alert, trader):
    for call in (
        lambda: alert_status_change(alert_id=alert.id, status=INVESTIGATING, actor=trader),
        lambda: alert_assign(alert_id=alert.id, assignee=trader, actor=trader),
        lambda: alert_note_add(alert_id=alert.id, author=trader, text="mine"),
    ):
        with pytest.raises(ServiceError) as error:
            call()
        assert (error.value.code, error.value.status_code) == ("PERMISSION_DENIED", 403)
    assert alert.audit_trail.count() == 1


def test_alerts_are_assigned_to_officers_only(alert, officer, trader):
    with pytest.raises(ServiceError) as error:
        alert_assign(alert_id=alert.id, assignee=trader, actor=officer)
    assert error.value.code == "INVALID_ASSIGNEE"
    assert alert_assign(alert_id=alert.id, assignee=officer, actor=officer).assignee == officer


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_001])
def test_bad_notes_are_refused(alert, officer, text):
    with pytest.raises(ServiceError) as error:
        alert_note_add(alert_id=alert.id, author=officer, text=text)
    assert error.value.code == "INVALID_NOTE"
    assert alert.notes.count() == 0 and alert.audit_trail.count() == 1


def test_the_audit_trail_records_every_change_with_who_before_and_after(alert, officer, administrator):
    alert_assign(alert_id=alert.id, assignee=officer, actor=officer)
    alert_status_change(alert_id=alert.id, status=INVESTIGATING, actor=officer)
    alert_note_add(alert_id=alert.id, author=officer, text="Looks like a market maker test.")
    alert_assign(alert_id=alert.id, assignee=administrator, actor=officer)
    alert_assign(alert_id=alert.id, assignee=administrator, actor=officer)  # no change, no entry
    alert_status_change(alert_id=alert.id, status=CLOSED, disposition="false_positive", actor=administrator)
    trail = [(e.action, e.actor, e.before, e.after) for e in alert.audit_trail.all()]
    assert [t[0] for t in trail] == ["raised", "assignee", "status", "note", "assignee", "status"]
    assert trail[1][1:] == (officer, {"assignee": None}, {"assignee": officer.username})
    assert trail[2][1:] == (officer, {"status": "open"}, {"status": "investigating"})
    assert trail[3][3] == {"note": "Looks like a market maker test."}
    assert trail[4][2:] == ({"assignee": officer.username}, {"assignee": administrator.username})
    assert trail[5][1:] == (
        administrator,
        {"status": "investigating", "disposition": ""},
        {"status": "closed", "disposition": "false_positive"},
    )
    assert all(e.at is not None for e in alert.audit_trail.all())


def test_every_change_is_announced_as_alert_updated(alert, officer):
    alert_assign(alert_id=alert.id, assignee=officer, actor=officer)
    alert_note_add(alert_id=alert.id, author=officer, text="checked")
    alert_status_change(alert_id=alert.id, status=CLOSED, disposition="confirmed_risk", actor=officer)
    events = compliance_events("alert_updated")
    for event in events:
        assert_event_shape(event)
    assert [e["change"] for e in events] == ["assignee", "note", "status"]
    assert events[0]["assignee"] == officer.username and events[0]["changed_by"] == officer.username
    last = events[-1]
    assert (last["status"], last["previous_status"], last["disposition"]) == ("closed", "open", "confirmed_risk")


def test_the_audit_trail_is_append_only(alert):
    entry = alert.audit_trail.get()
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AlertAuditEntry.objects.filter(alert=alert).update(action="edited")
    with pytest.raises(TypeError):
        AlertAuditEntry.objects.filter(alert=alert).delete()
    assert alert.audit_trail.get().action == "raised"
