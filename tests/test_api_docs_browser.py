"""/v1/docs (Swagger UI) in a real Chromium against a real daphne, with every request to another host refused:
its scripts and styles come from the gateway itself, so the reference renders offline."""

import pytest

from tests.browser import TIMEOUT_MS, browser  # noqa: F401  (fixture)
from tests.e2e.server import daphne, daphne_servers  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


async def test_the_api_reference_renders_with_no_network_but_the_gateway(daphne, browser, tmp_path):
    page = await browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    elsewhere: list[str] = []

    async def only_the_gateway(route):
        if route.request.url.startswith(daphne.base_url + "/"):
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort()

    await page.route("**/*", only_the_gateway)
    await page.goto(f"{daphne.base_url}/v1/docs")
    await page.wait_for_selector(".opblock-summary-path")  # the operations, drawn from /v1/schema
    paths = await page.locator(".opblock-summary-path").all_inner_texts()
    await page.screenshot(path=str(tmp_path / "api-docs.png"), full_page=False)
    assert "/v1/orders" in paths and "/v1/orders/{order_id}" in paths, paths
    assert await page.locator(".info .title").inner_text() != ""
    assert elsewhere == [], f"the page asked other hosts for {elsewhere}"

    # The error answers are stated too: an operation opened shows its 401 and the Error envelope.
    await page.click("#operations-orders-orders_destroy .opblock-summary")  # DELETE /v1/orders/{order_id}
    responses = page.locator("#operations-orders-orders_destroy .responses-table .response-col_status")
    await responses.first.wait_for()
    statuses = [text.strip() for text in await responses.all_inner_texts()]
    assert {"200", "401", "404", "409"} <= set(statuses), statuses
    await page.screenshot(path=str(tmp_path / "api-docs-delete-order.png"), full_page=False)
