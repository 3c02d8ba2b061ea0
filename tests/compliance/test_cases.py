"""Cases: alerts grouped, one assignee, notes, evidence through the storage API (size and type checked by content),
one audit trail; the admin pages an officer works them on."""

import hashlib

import pytest
from django.contrib.admin.utils import quote
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from compliance.models import AlertAuditEntry, AlertStatus, ApprovalRequest, Case, CaseStatus
from compliance.services import (
    case_alerts_add,
    case_assign,
    case_attachment_add,
    case_close,
    case_create,
    case_note_add,
)
from kernel.errors import ServiceError
from tests.compliance.conftest import compliance_events
from tests.two_factor import force_login_verified

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def two_alerts(make_alert, trader, other_trader):
    return make_alert(trader.account.id), make_alert(other_trader.account.id)


def refused(code: str, call, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call(**kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


def test_a_case_groups_alerts_with_one_assignee_and_one_trail(two_alerts, officer, second_officer):
    first, second = two_alerts
    case = case_create(alert_ids=[first.id, second.id], title="One ring", actor=officer)
    assert case.id.startswith("cas_") and len(case.id) == 20 and case.assignee == officer
    assert set(case.alerts.values_list("id", flat=True)) == {first.id, second.id}
    case_assign(case_id=case.id, assignee=second_officer, actor=officer)
    case_note_add(case_id=case.id, author=second_officer, text="  Same device fingerprint  ")
    actions = list(AlertAuditEntry.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["created", "alerts", "assignee", "note"]
    assert AlertAuditEntry.objects.filter(alert=first, action="case", after={"case": case.id}).exists()
    joined = [e for e in compliance_events("alert_updated") if e["change"] == "case"]
    assert {e["alert_id"] for e in joined} == {first.id, second.id}
    assert case.notes.get().text == "Same device fingerprint"


def test_an_alert_belongs_to_one_case_and_only_officers_work_cases(two_alerts, officer, trader, make_alert, other_trader):
    first, second = two_alerts
    case = case_create(alert_ids=[first.id], title="First", actor=officer)
    refused("ALERT_IN_ANOTHER_CASE", case_create, alert_ids=[first.id], title="Again", actor=officer)
    refused("ALERT_NOT_FOUND", case_alerts_add, case_id=case.id, alert_ids=["alr_0000000000000000"], actor=officer)
    assert [a.id for a in case_alerts_add(case_id=case.id, alert_ids=[second.id, first.id], actor=officer)] == [second.id]
    refused("PERMISSION_DENIED", case_create, alert_ids=[second.id], title="Mine", actor=trader)
    refused("INVALID_ASSIGNEE", case_assign, case_id=case.id, assignee=trader, actor=officer)
    refused("PERMISSION_DENIED", case_note_add, case_id=case.id, author=trader, text="hi")


def test_evidence_is_stored_through_the_storage_api_and_checked_by_content(alert, officer, media, settings):
    case = case_create(alert_ids=[alert.id], title="Evidence", actor=officer)
    stored = case_attachment_add(case_id=case.id, upload=upload("statement.pdf", PDF), actor=officer)
    assert stored.content_type == "application/pdf" and stored.size == len(PDF)
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert default_storage.exists(stored.file.name) and str(media) in default_storage.path(stored.file.name)
    assert case_attachment_add(case_id=case.id, upload=upload("trades.csv", b"id,qty\n1,2\n"), actor=officer).content_type == "text/csv"
    assert case_attachment_add(case_id=case.id, upload=upload("shot.PNG", PNG), actor=officer).content_type == "image/png"
    for name, content in [
        ("invoice.pdf", b"MZ\x90\x00 an executable renamed"),  # the extension lies
        ("photo.png", PDF),  # a real PDF under another extension
        ("notes.txt", b"binary\x00inside"),
        ("tool.exe", b"MZ\x90\x00"),
        ("noextension", PDF),
    ]:
        refused("ATTACHMENT_TYPE_NOT_ALLOWED", case_attachment_add, case_id=case.id, upload=upload(name, content), actor=officer)
    settings.CDX_CASE_ATTACHMENT_MAX_BYTES = len(PDF) - 1
    refused("ATTACHMENT_TOO_LARGE", case_attachment_add, case_id=case.id, upload=upload("big.pdf", PDF), actor=officer)
    assert case.attachments.count() == 3
    assert AlertAuditEntry.objects.filter(case=case, action="attachment").count() == 3


def test_a_case_without_high_alerts_closes_with_its_alerts(alert, officer):
    case = case_create(alert_ids=[alert.id], title="Noise", actor=officer)
    closed = case_close(case_id=case.id, disposition="false_positive", actor=officer)
    assert isinstance(closed, Case) and closed.status == CaseStatus.CLOSED
    alert.refresh_from_db()
    assert (alert.status, alert.disposition) == (AlertStatus.CLOSED, "false_positive")
    refused("CASE_CLOSED", case_alerts_add, case_id=case.id, alert_ids=[alert.id], actor=officer)
    refused("CASE_CLOSED", case_close, case_id=case.id, disposition="false_positive", actor=officer)


def test_a_case_holding_a_high_alert_is_closed_by_a_second_officer(make_alert, trader, other_trader, officer):
    high = make_alert(trader.account.id, "wash_trading")
    medium = make_alert(other_trader.account.id)
    case = case_create(alert_ids=[high.id, medium.id], title="Ring", actor=officer)
    requested = case_close(case_id=case.id, disposition="confirmed_risk", actor=officer)
    assert isinstance(requested, ApprovalRequest) and requested.case == case
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and not case.alerts.filter(status=AlertStatus.CLOSED).exists()


# The admin pages


@pytest.fixture
def officer_client(officer) -> Client:
    client = Client()
    force_login_verified(client, officer)
    return client


def test_the_officer_makes_a_case_from_the_queue_and_works_it_on_its_page(officer_client, two_alerts, officer, media):
    first, second = two_alerts
    response = officer_client.post(
        "/admin/compliance/alert/", {"action": "case_create_from_alerts", "_selected_action": [first.id]}
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/compliance/case/{quote(case.id)}/change/"
    page = officer_client.get(response["Location"])
    assert page.status_code == 200 and first.id in page.content.decode()
    response = officer_client.post(response["Location"], {
        "assignee": officer.pk,
        "add_alerts": second.id,
        "note": "Both accounts funded from one wallet",
        "attachment": upload("wallet.pdf", PDF),
        "close_as": "",
    })
    assert response.status_code == 302
    assert set(case.alerts.values_list("id", flat=True)) == {first.id, second.id}
    assert case.notes.get().text == "Both accounts funded from one wallet"
    attachment = case.attachments.get()
    page = officer_client.get(f"/admin/compliance/case/{quote(case.id)}/change/").content.decode()
    assert "Both accounts funded from one wallet" in page and "wallet.pdf" in page and "attachment" in page
    download = officer_client.get(f"/admin/compliance/case/{quote(case.id)}/attachment/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"


def test_a_file_of_the_wrong_type_is_refused_on_the_form(officer_client, alert, officer, media):
    case = case_create(alert_ids=[alert.id], title="Evidence", actor=officer)
    response = officer_client.post(f"/admin/compliance/case/{quote(case.id)}/change/", {
        "assignee": officer.pk, "add_alerts": "", "note": "", "attachment": upload("x.pdf", b"MZ fake"), "close_as": "",
    })
    assert response.status_code == 200
    assert "is not a PDF, PNG, JPEG, CSV or TXT file" in response.content.decode()
    assert not case.attachments.exists()


def test_traders_see_no_case_page_nor_evidence(trader, alert, officer, media):
    case = case_create(alert_ids=[alert.id], title="Evidence", actor=officer)
    attachment = case_attachment_add(case_id=case.id, upload=upload("a.txt", b"hello"), actor=officer)
    client = Client()
    client.force_login(trader)
    for url in (
        "/admin/compliance/case/",
        f"/admin/compliance/case/{quote(case.id)}/change/",
        f"/admin/compliance/case/{quote(case.id)}/attachment/{attachment.pk}/",
        "/admin/compliance/approvalrequest/",
        "/admin/compliance/sar/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
