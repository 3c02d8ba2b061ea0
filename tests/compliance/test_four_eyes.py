"""Four eyes: closing a high or critical alert (or a case holding one) and filing a SAR wait for a second officer;
the requester cannot approve; every step is audited and announced as alert_updated."""

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from compliance.models import AlertAuditEntry, AlertStatus, ApprovalRequest, ApprovalStatus, CaseStatus
from compliance.services import (
    alert_close,
    alert_status_change,
    approval_decide,
    approval_request,
    case_close,
    case_create,
)
from kernel.errors import ServiceError
from tests.compliance.conftest import compliance_events
from tests.event_shapes import assert_event_shape
from tests.support.event_log import published
from tests.two_factor import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def high_alert(make_alert, trader):
    return make_alert(trader.account.id, "wash_trading")


def code_of(call, **kwargs) -> str:
    with pytest.raises(ServiceError) as caught:
        call(**kwargs)
    return caught.value.code


def changes(alert_id: str) -> list[str]:
    return [e["change"] for e in compliance_events("alert_updated") if e["alert_id"] == alert_id]


def test_a_medium_alert_closes_at_once(alert, officer):
    closed = alert_close(alert_id=alert.id, disposition="false_positive", actor=officer)
    assert closed.status == AlertStatus.CLOSED and not ApprovalRequest.objects.exists()


def test_a_high_alert_closes_only_with_a_second_officers_approval(high_alert, officer, second_officer):
    assert high_alert.severity == "high"
    assert code_of(
        alert_status_change, alert_id=high_alert.id, status="closed", disposition="confirmed_risk", actor=officer
    ) == "APPROVAL_REQUIRED"
    approval = alert_close(alert_id=high_alert.id, disposition="confirmed_risk", actor=officer)
    assert isinstance(approval, ApprovalRequest) and approval.id.startswith("apr_")
    high_alert.refresh_from_db()
    assert high_alert.status == AlertStatus.OPEN
    assert code_of(alert_close, alert_id=high_alert.id, disposition="confirmed_risk", actor=officer) == "APPROVAL_PENDING"
    assert code_of(approval_decide, approval_id=approval.id, approve=True, actor=officer) == "SELF_APPROVAL"

    approval_decide(approval_id=approval.id, approve=True, actor=second_officer, note="Agreed")
    high_alert.refresh_from_db()
    assert (high_alert.status, high_alert.disposition) == (AlertStatus.CLOSED, "confirmed_risk")
    approval.refresh_from_db()
    assert (approval.status, approval.decided_by) == (ApprovalStatus.APPROVED, second_officer)
    assert code_of(approval_decide, approval_id=approval.id, approve=False, actor=second_officer) == "APPROVAL_DECIDED"

    trail = list(high_alert.audit_trail.values_list("action", "actor__username"))
    assert trail[-3:] == [
        ("approval_requested", officer.username), ("approved", second_officer.username), ("status", second_officer.username)
    ]
    assert changes(high_alert.id) == ["approval_requested", "approved"]
    approved = next(e for e in compliance_events("alert_updated") if e["change"] == "approved")
    assert (approved["status"], approved["previous_status"], approved["changed_by"]) == ("closed", "open", second_officer.username)


def test_a_rejected_request_leaves_the_alert_open(high_alert, officer, second_officer, trader):
    approval = alert_close(alert_id=high_alert.id, disposition="false_positive", actor=officer)
    assert code_of(approval_decide, approval_id=approval.id, approve=True, actor=trader) == "PERMISSION_DENIED"
    approval_decide(approval_id=approval.id, approve=False, actor=second_officer, note="Look at the trades first")
    high_alert.refresh_from_db()
    assert high_alert.status == AlertStatus.OPEN
    assert changes(high_alert.id) == ["approval_requested", "rejected"]
    assert high_alert.audit_trail.filter(action="rejected", after__note="Look at the trades first").exists()
    # asked again after the rejection
    assert alert_close(alert_id=high_alert.id, disposition="false_positive", actor=officer).status == "pending"


def test_a_request_is_for_something_that_can_happen(high_alert, officer):
    assert code_of(approval_request, action="close_alert", alert_id=high_alert.id, disposition="", actor=officer) == (
        "DISPOSITION_REQUIRED"
    )
    assert code_of(approval_request, action="close_case", alert_id=high_alert.id, actor=officer) == "INVALID_APPROVAL"


def test_a_case_with_a_high_alert_is_closed_when_approved(high_alert, alert, officer, second_officer):
    case = case_create(alert_ids=[high_alert.id, alert.id], title="Ring", actor=officer)
    approval = case_close(case_id=case.id, disposition="confirmed_risk", actor=officer)
    assert code_of(approval_decide, approval_id=approval.id, approve=True, actor=officer) == "SELF_APPROVAL"
    approval_decide(approval_id=approval.id, approve=True, actor=second_officer)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert set(case.alerts.values_list("status", flat=True)) == {AlertStatus.CLOSED}
    for subject in (high_alert, alert):
        assert changes(subject.id) == ["case", "approval_requested", "approved"]
    assert AlertAuditEntry.objects.filter(case=case, action__in=["approval_requested", "approved"]).count() == 2


def test_the_audit_trail_cannot_be_edited(high_alert, officer):
    entry = high_alert.audit_trail.first()
    for attempt in (entry.save, entry.delete, lambda: AlertAuditEntry.objects.update(action="x"),
                    lambda: AlertAuditEntry.objects.all().delete()):
        with pytest.raises(TypeError):
            attempt()


def test_the_admin_refuses_the_requesters_approval_and_takes_the_second_officers(high_alert, officer, second_officer):
    requester, approver = Client(), Client()
    force_login_verified(requester, officer)
    force_login_verified(approver, second_officer)
    response = requester.post(
        "/admin/compliance/alert/", {"action": "close_confirmed_risk", "_selected_action": [high_alert.id]}, follow=True
    )
    assert "once a second officer approves" in response.content.decode()
    approval = ApprovalRequest.objects.get()
    listing = approver.get("/admin/compliance/approvalrequest/?waiting=others").content.decode()
    assert approval.id in listing
    assert approval.id not in requester.get("/admin/compliance/approvalrequest/?waiting=others").content.decode()
    response = requester.post(
        "/admin/compliance/approvalrequest/", {"action": "approve", "_selected_action": [approval.id]}, follow=True
    )
    assert "A second officer must decide on your own request." in response.content.decode()
    approver.post("/admin/compliance/approvalrequest/", {"action": "approve", "_selected_action": [approval.id]})
    high_alert.refresh_from_db()
    assert high_alert.status == AlertStatus.CLOSED


@pytest.mark.django_db(transaction=True)
async def test_approvals_stream_as_alert_updated(authed, officer, second_officer, trader, rules, make_alert):
    client = await authed(officer)
    assert (await client.request({"type": "subscribe", "channel": "compliance_events"}))["status"] == "subscribed"
    high = await sync_to_async(make_alert)(trader.account.id, "wash_trading")
    approval = await sync_to_async(alert_close)(alert_id=high.id, disposition="false_positive", actor=officer)
    await sync_to_async(approval_decide)(approval_id=approval.id, approve=True, actor=second_officer)
    requested = await client.wait_for("alert_updated", alert_id=high.id, change="approval_requested")
    approved = await client.wait_for("alert_updated", alert_id=high.id, change="approved")
    assert_event_shape(requested)
    assert (requested["changed_by"], requested["status"]) == (officer.username, "open")
    assert (approved["changed_by"], approved["status"], approved["previous_status"]) == (second_officer.username, "closed", "open")
    assert len(await sync_to_async(published)("compliance_events", event_type="alert_updated")) == 2
