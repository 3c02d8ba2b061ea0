"""A case worked in real Chromium at 1366x768 against a real daphne: alerts from the queue into a case, a note and
evidence, closing asked for, a SAR drafted, sent to review and filed once a second officer approves; screenshots
of the case and of the printable SAR."""

import pytest
from asgiref.sync import sync_to_async
from django.contrib.admin.utils import quote

from compliance.models import Alert, AlertStatus, ApprovalRequest, ApprovalStatus, Case, CaseStatus, Sar, SarStatus
from tests.browser import TIMEOUT_MS, browser  # noqa: F401  (fixture)
from tests.e2e.server import daphne_servers  # noqa: F401  (fixture)
from tests.two_factor import login_code

PASSWORD = "correct-horse-1"  # tests.conftest make_user's default
LAPTOP = {"width": 1366, "height": 768}
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture
def server(daphne_servers, media_root):
    """daphne keeping case evidence under a temporary MEDIA_ROOT."""
    return daphne_servers.get(env={"CDX_MEDIA_ROOT": str(media_root)})


async def signed_in(browser, server, user):
    """A laptop-sized browser context with `user` signed in to the admin (password and one-time code)."""
    context = await browser.new_context(viewport=LAPTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    await page.goto(f"{server.base_url}/admin/login/?next=/admin/")
    await page.fill("#id_username", user.username)
    await page.fill("#id_password", PASSWORD)
    await page.fill("#id_otp_token", await sync_to_async(login_code)(user))
    await page.click("input[type=submit]")
    await page.wait_for_url("**/admin/")
    return page


async def run_action(page, url: str, action: str, selected: list[str]) -> None:
    await page.goto(url)
    for pk in selected:
        await page.check(f'input.action-select[value="{pk}"]')
    await page.select_option("select[name=action]", action)
    await page.click("button[name=index]")


async def test_an_officer_works_a_case_to_a_filed_sar_with_a_second_officers_approval(
    browser, server, rules, markets, officer, second_officer, trader, other_trader, make_alert, tmp_path, media_root
):
    wash = await sync_to_async(make_alert)(trader.account.id, "wash_trading", "2 trade(s) between accounts of one owner")
    flood = await sync_to_async(make_alert)(other_trader.account.id)
    evidence = tmp_path / "wallet-trace.pdf"
    evidence.write_bytes(PDF)

    page = await signed_in(browser, server, officer)
    await run_action(page, f"{server.base_url}/admin/compliance/alert/", "case_create_from_alerts", [wash.id, flood.id])
    await page.wait_for_url("**/admin/compliance/case/**/change/")
    case = await Case.objects.aget()
    assert await page.locator(".messagelist .success").inner_text() == f"Case {case.id} created with 2 alert(s)."

    await page.fill("#id_note", "Both accounts are funded from one wallet; see the trace.")
    await page.set_input_files("#id_attachment", str(evidence))
    await page.select_option("#id_close_as", "confirmed_risk")
    await page.click("input[name='_continue']")
    await page.wait_for_selector(".messagelist .warning:has-text('needs a second officer')")
    assert await page.locator(".field-attachment_list a").inner_text() == "wallet-trace.pdf"
    assert "Both accounts are funded from one wallet" in await page.locator(".field-notes_list").inner_text()
    trail = await page.locator(".field-trail").inner_text()
    for step in ("created", "case", "note", "attachment", "approval_requested"):
        assert step in trail
    await page.screenshot(path=str(tmp_path / "case-1366x768.png"), full_page=True)
    assert (await Case.objects.aget()).status == CaseStatus.OPEN
    assert len(list(media_root.rglob("wallet-trace*.pdf"))) == 1  # kept by the server's storage

    await page.goto(f"{server.base_url}/admin/compliance/sar/add/")
    await page.fill("#id_case", case.id)
    await page.fill("#id_narrative", "Two accounts of one owner traded with each other to paint the tape.")
    await page.click("input[name='_save']")
    await page.wait_for_selector(".messagelist .success")
    sar = await Sar.objects.aget()
    changelist = f"{server.base_url}/admin/compliance/sar/"
    await run_action(page, changelist, "submit_for_review", [sar.id])
    await page.wait_for_selector(".messagelist .success:has-text('sent to review')")
    await run_action(page, changelist, "request_filing", [sar.id])
    await page.wait_for_selector(".messagelist .success:has-text('a second officer approves it')")
    requests = f"{server.base_url}/admin/compliance/approvalrequest/?waiting=mine"
    await page.goto(requests)
    pending = [pk async for pk in ApprovalRequest.objects.values_list("id", flat=True)]
    await run_action(page, requests, "approve", pending)
    await page.wait_for_selector(".messagelist .warning:has-text('A second officer must decide on your own request.')")

    approver = await signed_in(browser, server, second_officer)
    waiting = f"{server.base_url}/admin/compliance/approvalrequest/?waiting=others"
    await approver.goto(waiting)
    assert await approver.locator("#result_list tbody tr").count() == 2  # closing the case, filing the SAR
    await run_action(approver, waiting, "approve", pending)
    await approver.wait_for_selector(".messagelist .success:has-text('2 request(s) approved.')")

    sar = await Sar.objects.select_related("filed_by", "approved_by").aget()
    assert (sar.status, sar.filed_by, sar.approved_by) == (SarStatus.FILED, officer, second_officer)
    assert not await ApprovalRequest.objects.exclude(status=ApprovalStatus.APPROVED).aexists()
    assert (await Case.objects.aget()).status == CaseStatus.CLOSED
    assert {a.status async for a in Alert.objects.all()} == {AlertStatus.CLOSED}

    await page.goto(f"{server.base_url}/admin/compliance/sar/{quote(sar.id)}/print/")
    assert (await page.locator(".status").text_content()).strip() == "Filed"
    assert second_officer.username in await page.locator("dl").inner_text()
    assert wash.id in await page.locator("table").nth(1).inner_text()
    await page.screenshot(path=str(tmp_path / "sar-1366x768.png"), full_page=True)
    await page.goto(f"{server.base_url}/admin/compliance/case/{quote(case.id)}/change/")
    assert "approved" in await page.locator(".field-trail").inner_text()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= LAPTOP["width"]  # the case page fits a laptop screen without a horizontal scroll
