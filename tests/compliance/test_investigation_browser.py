"""The investigation pages in a real Chromium at 1366x768, with screenshots: the account page and its timeline,
an alert's page, the dashboard's charts, the alert queue and the notices list without horizontal scroll, the
admin's way to the console, and the queue's CSV export."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.admin.utils import quote
from django.utils import timezone

from compliance.models import Alert, AlertType
from compliance.services import alert_assign
from operations.services import maintenance_notice_post
from tests.browser import TIMEOUT_MS, browser  # noqa: F401  (fixture)
from tests.compliance.browser_pages import element_overflow, officer_login, page_overflow, screenshot
from tests.compliance.test_console_browser import flood, large_trade
from tests.e2e.server import daphne, daphne_servers  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
async def chromium(browser):
    context = await browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def activity(trader, other_trader, officer) -> Alert:
    """A flood and a large trade; the flood's alert assigned to the officer."""
    flood(trader.account.id, 50)
    large_trade(trader.account.id, other_trader.account.id)
    alert = Alert.objects.get(account=trader.account, alert_type=AlertType.UNUSUAL_TRADING_PATTERN)
    alert_assign(alert_id=alert.id, assignee=officer, actor=officer)
    return alert


async def test_the_account_page_and_the_alert_page_show_an_investigation(
    daphne, chromium, rules, markets, officer, trader, other_trader, tmp_path
):
    alert = await sync_to_async(activity)(trader, other_trader, officer)
    url = f"/compliance/accounts/{trader.account.id}/?alert={alert.id}"
    page = await officer_login(chromium, daphne.base_url, officer, url)
    await page.wait_for_function("window.timelineChart !== undefined")
    points = await page.evaluate(
        "Object.fromEntries(timelineChart.data.datasets.map(d => [d.label, d.data.length]))"
    )
    assert points["order"] >= 51 and points["trade"] == 1 and points["alert"] >= 1 and points["deposit"] >= 1
    for section in ("#balances", "#alerts", "#open-orders", "#trades", "#transfers", "#kyc-history"):
        assert await page.locator(f"{section} table tbody tr").count() >= 1, section
    assert await page.locator("#open-orders tbody tr").count() == 20  # the newest of the flood's resting orders
    assert await page_overflow(page) <= 0
    assert await page.locator("#timeline canvas").bounding_box()
    await screenshot(page, tmp_path, "account-1366x768")

    await page.goto(f"{daphne.base_url}/admin/compliance/alert/{quote(alert.id)}/change/")
    facts = await page.locator(".alert-facts").inner_text()
    assert "Orders in the window" in facts and "Window" in facts and "2 minutes" in facts
    assert await page.locator(".alert-trigger table.orders tbody tr").count() == 50  # the flood, not the latest 20
    assert await page_overflow(page) <= 0
    await page.locator(".alert-facts").scroll_into_view_if_needed()
    await screenshot(page, tmp_path, "alert-1366x768")
    await page.click("text=investigate the account")
    await page.wait_for_url(f"**/compliance/accounts/{trader.account.id}/?alert={alert.id}")
    await screenshot(page, tmp_path, "account-from-alert")


async def test_the_dashboard_draws_its_charts_from_the_projects_own_chart_js(
    daphne, chromium, rules, markets, officer, trader, other_trader, tmp_path
):
    await sync_to_async(activity)(trader, other_trader, officer)
    page = await officer_login(chromium, daphne.base_url, officer, "/compliance/dashboard/")
    scripts = await page.eval_on_selector_all("script[src]", "s => s.map(e => e.src)")
    assert all(src.startswith(daphne.base_url) for src in scripts), scripts  # no CDN
    await page.wait_for_function("window.dashboardCharts !== undefined")
    totals = await page.evaluate(
        "Object.fromEntries(Object.entries(dashboardCharts).map(([name, chart]) => "
        "[name, chart.data.datasets.reduce((sum, d) => sum + d.data.reduce((s, v) => s + (v || 0), 0), 0)]))"
    )
    assert totals["perType"] == totals["perSeverity"] == 3  # the flood's alert and the trade's two
    assert totals["openAge"] == 3 and totals["sla"] == 0
    assert await page_overflow(page) <= 0
    await screenshot(page, tmp_path, "dashboard-1366x768")


def notices(author) -> None:
    start = timezone.now() + timedelta(days=1)
    for service in ("matching_engine", "settlement_service", "market_data"):
        maintenance_notice_post(
            author=author, service=service, start_time=start, end_time=start + timedelta(hours=2),
            description="Planned upgrade of the matching engine's storage, with a failover drill; orders stay "
                        "accepted but may be delayed by up to a minute while the replica is promoted.",
        )


async def test_the_queue_and_the_notices_fit_a_laptop_and_the_queue_exports_as_filtered(
    daphne, chromium, rules, markets, officer, administrator, trader, other_trader, tmp_path
):
    alert = await sync_to_async(activity)(trader, other_trader, officer)
    page = await officer_login(chromium, daphne.base_url, officer, "/admin/")
    assert "CantonDEX" in await page.title() and "CantonDEX" in await page.locator("#site-name").inner_text()
    await page.click("#compliance-nav >> text=Console")  # the admin leads to the console
    await page.wait_for_url("**/compliance/console/")

    await page.goto(f"{daphne.base_url}/admin/compliance/alert/?assignee=me")
    assert await page.locator("#result_list tbody tr").count() == 1
    headers = await page.eval_on_selector_all("#result_list thead th", "ths => ths.map(th => th.innerText.trim())")
    for column in ("ID", "TYPE", "SEVERITY", "STATUS", "ACCOUNT", "ASSIGNEE", "RAISED", "SLA"):
        assert column in headers
    await screenshot(page, tmp_path, "queue-1366x768")
    assert await element_overflow(page, "#changelist .results") <= 0
    assert await page_overflow(page) <= 0
    assert "ago" in await page.locator("#result_list td.field-raised time").inner_text()
    await screenshot(page, tmp_path, "queue-1366x768")
    async with page.expect_download() as download_info:
        await page.click("#export-alerts")
    download = await download_info.value
    lines = (await download.path()).read_text().splitlines()
    assert lines[0].startswith("alert_id,") and len(lines) == 2 and lines[1].startswith(alert.id)

    await sync_to_async(notices)(administrator)
    admin_context = await chromium.browser.new_context(viewport={"width": 1366, "height": 768})
    admin_page = await officer_login(admin_context, daphne.base_url, administrator, "/admin/operations/maintenancenotice/")
    assert await admin_page.locator("#result_list tbody tr").count() == 3
    await screenshot(admin_page, tmp_path, "notices-1366x768")
    assert await element_overflow(admin_page, "#changelist .results") <= 0
    assert await page_overflow(admin_page) <= 0
    description = admin_page.locator("#result_list td.field-description").first
    assert (await description.get_attribute("title")).startswith("Planned upgrade")  # the full text on hover
    await admin_context.close()
