"""The live console in a real headless Chromium against a real daphne (the issue's done-when scenario):
an order flood and a large trade by traders appear without a reload; the officer works the alert in the
admin, and the console and the audit trail show each step."""

from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.contrib.admin.utils import quote

from compliance.models import Alert, AlertType
from compliance.surveillance import surveillance_run_pending
from tests.browser import TIMEOUT_MS, browser  # noqa: F401  (fixture)
from tests.e2e.server import daphne, daphne_servers  # noqa: F401  (fixtures)
from tests.two_factor import login_code
from trading.services import deposit_create, order_place

PASSWORD = "correct-horse-1"  # tests.conftest make_user's default

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
async def chromium(browser):
    """A fresh browser context (one cookie jar: one logged-in session, several tabs)."""
    context = await browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    return context


def place(account_id: str, side: str, quantity: str, price: str) -> None:
    order_place(
        account_id=account_id, symbol="AAPL/USDC", side=side, order_type="limit",
        quantity=Decimal(quantity), price=Decimal(price),
    )
    surveillance_run_pending()  # what daphne's job thread does within half a second


def fund(account_id: str, currency: str, amount: str) -> None:
    deposit_create(account_id=account_id, currency=currency, amount=Decimal(amount), transaction_hash="0xbrowser")
    surveillance_run_pending()


def flood(account_id: str, count: int) -> None:
    """Another session: a trader floods the book (in this process; daphne relays from the event log)."""
    fund(account_id, "USDC", "1000")
    for _ in range(count):
        place(account_id, "buy", "1", "1")


def large_trade(seller_id: str, buyer_id: str) -> None:
    """One fill of 10 AAPL at 100000: exactly the large-transaction threshold, for both sides."""
    fund(seller_id, "AAPL", "10")
    fund(buyer_id, "USDC", "600000")
    fund(buyer_id, "USDC", "600000")  # two deposits under the threshold
    place(seller_id, "sell", "10", "100000")
    place(buyer_id, "buy", "10", "100000")


def row(alert_id: str) -> str:
    return f'#alerts tr[data-alert-id="{alert_id}"]'


async def test_the_officer_sees_a_flood_and_a_large_trade_live_and_works_the_alert(
    daphne, chromium, rules, markets, officer, trader, other_trader
):
    console = await chromium.new_page()
    await console.goto(f"{daphne.base_url}/admin/login/?next=/compliance/console/")
    await console.fill("#id_username", officer.username)
    await console.fill("#id_password", PASSWORD)
    await console.fill("#id_otp_token", await sync_to_async(login_code)(officer))
    await console.click("input[type=submit]")
    await console.wait_for_url("**/compliance/console/")
    await console.wait_for_selector("#console-state.live")  # subscribed over the session-authenticated socket
    assert await console.locator("#alerts tbody tr").count() == 0

    await sync_to_async(flood)(trader.account.id, 50)
    flood_alert = await Alert.objects.aget(account=trader.account, alert_type=AlertType.UNUSUAL_TRADING_PATTERN)
    flood_row = await console.wait_for_selector(row(flood_alert.id))
    assert "Trader executed 50 orders in 2 minutes" in await flood_row.inner_text()
    link = await flood_row.query_selector('td[data-field="alert_id"] a')
    assert await link.get_attribute("href") == f"/admin/compliance/alert/{quote(flood_alert.id)}/change/"

    await sync_to_async(large_trade)(trader.account.id, other_trader.account.id)
    large_rows = console.locator('#alerts tbody tr:has-text("trade of 1000000 (threshold 1000000)")')
    await large_rows.nth(1).wait_for()  # one for each side of the trade
    assert await console.locator("#alerts tbody tr").count() == 3

    # In another tab of the same session: assign to me, add a note, then close as a false positive.
    admin = await chromium.new_page()
    await admin.goto(f"{daphne.base_url}/admin/compliance/alert/{quote(flood_alert.id)}/change/")
    await admin.select_option("#id_assignee", label=officer.username)
    await admin.fill("textarea[name='notes-0-text']", "Scripted test by the desk, agreed with the trader.")
    await admin.click("input[name='_continue']")
    await admin.wait_for_selector(".messagelist .success")
    await admin.select_option("#id_status", "closed")
    await admin.select_option("#id_disposition", "false_positive")
    await admin.click("input[name='_continue']")
    await admin.wait_for_selector(".messagelist .success")

    await console.wait_for_selector(f'{row(flood_alert.id)} td[data-field="status"]:has-text("closed (false_positive)")')
    feed = console.locator("#feed li")
    for step in (f"assigned to {officer.username}", "note added", "open → closed as false_positive"):
        await feed.filter(has_text=f"{flood_alert.id} {step} by {officer.username}").wait_for()
    assert await console.locator(f'{row(flood_alert.id)} td[data-field="assignee"]').inner_text() == officer.username

    trail = await admin.locator("#audit_trail-group").inner_text()
    for action in ("raised", "assignee", "note", "status", "false_positive", officer.username):
        assert action in trail
