"""The live console in a real headless Chromium against a real daphne: an order flood appears without a reload."""

import os
import shutil
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async

from compliance.models import Alert, AlertType
from compliance.services import alert_assign
from tests.e2e.server import daphne, daphne_servers  # noqa: F401  (fixtures)
from trading.services import deposit_create, order_place

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-1"  # tests.conftest make_user's default
TIMEOUT_MS = 15_000

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
async def chromium_page():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing (CI is set: browser tests are required)")
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        page = await browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        yield page
        await browser.close()


def flood(account_id: str, count: int) -> None:
    """Another session: the trader floods the book (in this process; daphne relays from the event log)."""
    deposit_create(account_id=account_id, currency="USDC", amount=Decimal("1000"), transaction_hash="0xflood")
    for _ in range(count):
        order_place(
            account_id=account_id, symbol="AAPL/USDC", side="buy", order_type="limit",
            quantity=Decimal("1"), price=Decimal("1"),
        )


async def test_an_order_flood_appears_live_on_the_officers_console(daphne, chromium_page, rules, markets, officer, trader):  # noqa: F811
    page = chromium_page
    await page.goto(f"{daphne.base_url}/admin/login/?next=/compliance/console/")
    await page.fill("#id_username", officer.username)
    await page.fill("#id_password", PASSWORD)
    await page.click("input[type=submit]")
    await page.wait_for_url("**/compliance/console/")
    await page.wait_for_selector("#console-state.live")  # subscribed over the session-authenticated socket
    assert await page.locator("#alerts tbody tr").count() == 0

    await sync_to_async(flood)(trader.account.id, 50)
    alert = await Alert.objects.aget(account=trader.account, alert_type=AlertType.UNUSUAL_TRADING_PATTERN)
    row = await page.wait_for_selector(f'tr[data-alert-id="{alert.id}"]')
    assert "Trader executed 50 orders in 2 minutes" in await row.inner_text()
    link = await row.query_selector('td[data-field="alert_id"] a')
    assert await link.get_attribute("href") == f"/admin/compliance/alert/{alert.id}/change/"

    # A change made elsewhere updates the row in place.
    await sync_to_async(alert_assign)(alert_id=alert.id, assignee=officer, actor=officer)
    await page.wait_for_selector(
        f'tr[data-alert-id="{alert.id}"] td[data-field="assignee"]:has-text("{officer.username}")'
    )
    assert await page.locator("#feed li", has_text=f"assigned to {officer.username}").count() == 1
    assert await page.locator("#alerts tbody tr").count() == 1
