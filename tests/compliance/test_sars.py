"""SARs: draft -> in review -> filed with a second officer's approval; the regulator's CSV and the printable page."""

import csv
import io

import pytest
from django.contrib.admin.utils import quote
from django.test import Client

from compliance.models import ApprovalRequest, Sar, SarStatus
from compliance.sar_export import COLUMNS, sars_csv
from compliance.services import approval_decide, approval_request, case_create, sar_create, sar_narrative_set, sar_submit
from kernel.errors import ServiceError
from tests.compliance.conftest import compliance_events
from tests.two_factor import force_login_verified

pytestmark = pytest.mark.django_db


def code_of(call, **kwargs) -> str:
    with pytest.raises(ServiceError) as caught:
        call(**kwargs)
    return caught.value.code


@pytest.fixture
def case(make_alert, trader, other_trader, officer):
    alerts = [make_alert(trader.account.id, "wash_trading"), make_alert(other_trader.account.id)]
    return case_create(alert_ids=[a.id for a in alerts], title="Ring", actor=officer)


def file_sar(sar: Sar, *, officer, second_officer) -> Sar:
    sar_submit(sar_id=sar.id, actor=officer)
    approval = approval_request(action="file_sar", sar_id=sar.id, actor=officer)
    approval_decide(approval_id=approval.id, approve=True, actor=second_officer)
    sar.refresh_from_db()
    return sar


def test_a_sar_goes_from_draft_to_review_to_filed_with_a_second_officer(case, officer, second_officer):
    sar = sar_create(case_id=case.id, narrative="Two accounts trade with each other.", actor=officer)
    assert sar.id.startswith("sar_") and sar.status == SarStatus.DRAFT
    sar_narrative_set(sar_id=sar.id, narrative="Two accounts of one owner trade with each other.", actor=officer)
    assert code_of(approval_request, action="file_sar", sar_id=sar.id, actor=officer) == "SAR_NOT_IN_REVIEW"
    sar_submit(sar_id=sar.id, actor=officer)
    assert code_of(sar_narrative_set, sar_id=sar.id, narrative="changed", actor=officer) == "SAR_NOT_DRAFT"
    approval = approval_request(action="file_sar", sar_id=sar.id, actor=officer)
    assert code_of(approval_decide, approval_id=approval.id, approve=True, actor=officer) == "SELF_APPROVAL"
    approval_decide(approval_id=approval.id, approve=True, actor=second_officer)
    sar.refresh_from_db()
    assert (sar.status, sar.filed_by, sar.approved_by) == (SarStatus.FILED, officer, second_officer)
    assert sar.filed_at is not None
    sar_steps = [e.after["status"] for e in case.audit_trail.filter(action="sar") if "status" in e.after]
    assert sar_steps == ["draft", "in_review", "filed"]
    filed = [e for e in compliance_events("alert_updated") if e["change"] == "approved"]
    assert {e["alert_id"] for e in filed} == set(case.alerts.values_list("id", flat=True))


def test_a_rejected_filing_sends_the_sar_back_to_draft(alert, officer, second_officer):
    sar = sar_create(alert_id=alert.id, narrative="Odd velocity.", actor=officer)
    sar_submit(sar_id=sar.id, actor=officer)
    approval = approval_request(action="file_sar", sar_id=sar.id, actor=officer)
    approval_decide(approval_id=approval.id, approve=False, actor=second_officer, note="Name the orders")
    sar.refresh_from_db()
    assert sar.status == SarStatus.DRAFT and sar.filed_at is None
    assert alert.audit_trail.filter(action="rejected").exists()


def test_a_sar_is_about_one_case_or_one_alert(case, alert, officer, trader):
    assert code_of(sar_create, narrative="x", actor=officer) == "SAR_SUBJECT_REQUIRED"
    assert code_of(sar_create, narrative="x", case_id=case.id, alert_id=alert.id, actor=officer) == "SAR_SUBJECT_REQUIRED"
    assert code_of(sar_create, narrative="x", alert_id=alert.id, actor=trader) == "PERMISSION_DENIED"


def test_the_export_has_the_documented_columns_one_row_per_subject_account(case, officer, second_officer):
    sar = sar_create(case_id=case.id, narrative="=HYPERLINK(\"x\")\nsecond line", actor=officer)
    sar = file_sar(sar, officer=officer, second_officer=second_officer)
    text = sars_csv([sar])
    assert text.splitlines()[0] == ",".join(COLUMNS) and "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text)))
    alerts = {a.account_id: a for a in case.alerts.select_related("account__user")}
    assert {row["subject_account_id"] for row in rows} == set(alerts)
    for row in rows:
        alert = alerts[row["subject_account_id"]]
        assert row["report_id"] == sar.id and row["case_id"] == case.id
        assert (row["filed_by"], row["approved_by"]) == (officer.username, second_officer.username)
        assert row["alert_ids"] == alert.id and row["activity_types"] == alert.alert_type
        assert row["subject_username"] == alert.account.user.username and row["subject_kyc_tier"] == alert.account.kyc_tier
        assert row["filed_at"].endswith("Z") and row["activity_from"].endswith("Z")
        assert row["narrative"] == "'=HYPERLINK(\"x\")\nsecond line"  # no formula in a spreadsheet


def test_the_admin_drafts_prints_and_exports_sars(case, officer, second_officer, trader):
    client = Client()
    force_login_verified(client, officer)
    response = client.post("/admin/compliance/sar/add/", {"case": case.id, "alert": "", "narrative": "Layered orders."})
    assert response.status_code == 302
    sar = Sar.objects.get()
    assert (sar.case, sar.created_by, sar.status) == (case, officer, SarStatus.DRAFT)
    both = client.post("/admin/compliance/sar/add/", {"case": case.id, "alert": case.alerts.first().id, "narrative": "x"})
    assert both.context["adminform"].form.non_field_errors() == ["A SAR is about one case or one alert: give exactly one."]
    assert Sar.objects.count() == 1

    draft_page = f"/admin/compliance/sar/{quote(sar.id)}/change/"
    assert client.post(draft_page, {"narrative": "Layered orders, then a trade.", "_save": "Save"}).status_code == 302
    sar.refresh_from_db()
    assert sar.narrative == "Layered orders, then a trade."
    assert case.audit_trail.filter(action="sar", after__narrative="Layered orders, then a trade.").exists()

    client.post("/admin/compliance/sar/", {"action": "submit_for_review", "_selected_action": [sar.id]})
    client.post("/admin/compliance/sar/", {"action": "request_filing", "_selected_action": [sar.id]})
    approval = ApprovalRequest.objects.get(sar=sar)
    nothing = client.post("/admin/compliance/sar/", {"action": "export_csv", "_selected_action": [sar.id]}, follow=True)
    assert "only filed SARs are exported" in nothing.content.decode()
    approval_decide(approval_id=approval.id, approve=True, actor=second_officer)

    export = client.post("/admin/compliance/sar/", {"action": "export_csv", "_selected_action": [sar.id]})
    assert export["Content-Type"] == "text/csv; charset=utf-8" and sar.id in export.content.decode()
    printable = client.get(f"/admin/compliance/sar/{quote(sar.id)}/print/")
    page = printable.content.decode()
    assert printable.status_code == 200 and "Layered orders, then a trade." in page and "Filed" in page
    assert second_officer.username in page and case.id in page

    change = f"/admin/compliance/sar/{quote(sar.id)}/change/"
    assert "Print view" in client.get(change).content.decode()
    assert client.post(change, {"_save": "Save"}).status_code == 302  # a filed SAR's page saves nothing
    sar.refresh_from_db()
    assert (sar.status, sar.narrative) == (SarStatus.FILED, "Layered orders, then a trade.")

    outsider = Client()
    outsider.force_login(trader)
    assert outsider.get(f"/admin/compliance/sar/{quote(sar.id)}/print/").status_code == 302
