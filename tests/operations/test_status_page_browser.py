"""The public status page in a real headless Chromium against a real daphne: notices and the maintenance
window appear without a reload, and a trader's socket sees the whole window happen by itself."""

import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from kernel.json import dumps, loads
from operations.services import maintenance_notice_post
from tests.browser import TIMEOUT_MS, browser  # noqa: F401  (fixture)
from tests.e2e.server import daphne_servers  # noqa: F401  (fixture)
from tests.operations.support import window
from tests.support.ws import WsClient
from tests.two_factor import login_code

PASSWORD = "correct-horse-1"  # tests.conftest make_user's default
SERVER_ENV = {"CDX_STATUS_PAGE_POLL_S": "0.5"}

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(daphne_servers):
    return daphne_servers.get(env=SERVER_ENV)


@pytest.fixture
async def page(browser):
    page = await browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


post = sync_to_async(maintenance_notice_post)


@pytest.mark.browser
async def test_a_visitor_who_is_not_logged_in_sees_a_notice_appear(server, page, administrator):
    await page.goto(f"{server.base_url}/status/")
    await page.wait_for_selector("#mode[data-mode=polling]")
    assert await page.inner_text("#banner") == "All systems operational"
    assert await page.is_visible("#no-notices")

    await post(author=administrator, service="compliance_service", description="Database maintenance", **window(3600, 7200))
    await page.wait_for_selector("#notices td:has-text('Database maintenance')")
    assert await page.is_hidden("#no-notices")


@pytest.mark.browser
async def test_a_logged_in_page_follows_the_socket_through_a_whole_window(server, page, administrator):
    await page.goto(f"{server.base_url}/admin/login/?next=/status/")
    await page.fill("#id_username", administrator.username)
    await page.fill("#id_password", PASSWORD)
    await page.fill("#id_otp_token", await sync_to_async(login_code)(administrator))
    await page.click("input[type=submit]")
    await page.wait_for_url("**/status/")
    await page.wait_for_selector("#mode[data-mode=websocket]")  # subscribed; no polling from here on

    await post(author=administrator, service="matching_engine", description="Engine upgrade", **window(1.5, 4.5))
    await page.wait_for_selector("#notices td:has-text('Engine upgrade')")
    # The server's own maintenance job starts and ends the window; the page follows without a reload.
    await page.wait_for_selector("#banner.maintenance")
    await page.wait_for_selector("#services td.state.maintenance")
    await page.wait_for_selector("#banner.operational")
    assert await page.inner_text("#banner") == "All systems operational"
    assert await page.is_visible("#no-notices")


async def test_a_traders_socket_sees_the_window_and_orders_are_refused_inside_it(server, trader, administrator, markets):
    client = await WsClient.open(server.ws_url)
    try:
        assert (await client.request({"type": "auth", "token": str(AccessToken.for_user(trader))}))["status"] == "authenticated"
        assert (await client.request({"type": "subscribe", "channel": "system_health"}))["status"] == "subscribed"
        await client.wait_for("system_status")  # the snapshot

        start = timezone.now() + timedelta(seconds=1.5)
        await post(author=administrator, service="matching_engine", description="Engine upgrade",
                   start_time=start, end_time=start + timedelta(seconds=4))
        notice = await client.wait_for("maintenance_notice")
        assert notice["description"] == "Engine upgrade"

        started = await client.wait_for("system_status", status="maintenance")
        assert started["all_services_healthy"] is False
        status, refused = await sync_to_async(place_order)(server.base_url, trader)
        assert status == 503 and refused["code"] == "SERVICE_UNAVAILABLE"
        assert refused["details"]["service"] == "matching_engine"

        ended = await client.wait_for("system_status", timeout=10, status="operational")
        assert ended["all_services_healthy"] is True and ended["sequence"] > started["sequence"]
    finally:
        await client.close()


def place_order(base_url: str, trader) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base_url}/v1/orders",
        data=dumps({"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": 1, "price": 1}).encode(),
        headers={"Authorization": f"Bearer {AccessToken.for_user(trader)}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, loads(error.read())
