"""The live auction page in a real headless Chromium against a real daphne (the issue's done-when: the officer
watches an auction in the browser): bids placed through the services move the indicative price, volume and
imbalance without a reload, the countdown ticks, a trader bids from the page, and the result appears at the
close with the revealed end checked against the commitment."""

from decimal import Decimal as D
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from auctions.services import auction_close, bid_submit
from tests.auctions.conftest import ISSUE_BOOK
from tests.browser import TIMEOUT_MS, browser  # noqa: F401  (fixture)
from tests.e2e.server import daphne, daphne_servers  # noqa: F401  (fixtures)
from tests.two_factor import login_code

PASSWORD = "correct-horse-1"  # tests.conftest make_user's default
VIEWPORT = {"width": 1366, "height": 768}
NO_FIGURE = "\u2013"  # the en dash the page shows for a figure not known yet

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


async def signed_in_page(browser, base_url: str, user, target: str, *, code: bool):
    context = await browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    await page.goto(f"{base_url}/auctions/login/?next={target}")
    await page.fill("#id_username", user.username)
    await page.fill("#id_password", PASSWORD)
    if code:
        await page.fill("#id_otp_token", await sync_to_async(login_code)(user))
    await page.click("input[type=submit]")
    await page.wait_for_url(f"**{target}")
    await page.wait_for_selector("#stream-state.live")  # subscribed over the session-authenticated socket
    return page


async def text_becomes(page, selector: str, expected: str) -> None:
    await page.wait_for_function(
        "([selector, expected]) => document.querySelector(selector).textContent === expected", arg=[selector, expected]
    )


def place(user, auction_id: str, quantity: str, price: str) -> None:
    bid_submit(account_id=user.account.id, auction_id=auction_id, quantity=D(quantity), price=D(price))


async def test_the_officer_watches_bids_move_the_indicative_price_and_sees_the_result(
    daphne, browser, officer, administrator, new_auction, bidders, tmp_path
):
    auction = await sync_to_async(new_auction)(duration_ms=120_000)  # ends long after the test: it is closed by staff
    target = f"/auctions/{auction.id}/"
    page = await signed_in_page(browser, daphne.base_url, officer, target, code=True)
    assert await page.inner_text("#indicative-price") == NO_FIGURE and await page.inner_text("#countdown-label") == "Bidding closes in"
    assert await page.locator("#bid-form").count() == 0  # officers watch; only traders bid

    first = await page.inner_text("#countdown")
    await page.wait_for_function("(first) => document.getElementById('countdown').textContent !== first", arg=first)
    assert await page.inner_text("#countdown") < first  # "0:58" after "0:59": it counts down

    for user, (quantity, price) in zip(bidders, ISSUE_BOOK, strict=False):
        await sync_to_async(place)(user, auction.id, quantity, price)
    # The issue's book: 152, all 1000 sold, 1200 bid at 152 or above (throttled updates: the last one follows)
    await text_becomes(page, "#indicative-price", "152")
    await text_becomes(page, "#indicative-volume", "1000")
    await text_becomes(page, "#imbalance", "200")
    await text_becomes(page, "#total-bids", "4")
    await page.locator("#bids tbody tr").nth(3).wait_for()
    assert await page.locator("#bids tbody tr").first.locator("td").nth(1).inner_text() == "152"  # newest first
    assert bidders[0].account.id not in await page.content()

    # A trader bids from the page (below the margin, so the figures stay put), over the same socket.
    trader_page = await signed_in_page(browser, daphne.base_url, bidders[4], target, code=False)
    await trader_page.fill("#bid-form input[name=quantity]", "100")
    await trader_page.fill("#bid-form input[name=price]", "150.5")
    await trader_page.click("#bid-form input[type=submit]")
    await trader_page.wait_for_selector("#bid-message:has-text('accepted: 100 @ 150.5')")
    await trader_page.fill("#bid-form input[name=price]", "149")
    await trader_page.click("#bid-form input[type=submit]")
    await trader_page.wait_for_selector("#bid-message.refused:has-text('BID_TOO_LOW')")
    assert "below the reserve price 150." in await trader_page.inner_text("#bid-message")
    await page.locator("#bids tbody tr").nth(4).wait_for()
    await text_becomes(page, "#total-bids", "5")

    screenshot = Path(tmp_path) / "auction-page-1366x768.png"
    await page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 10_000
    layout = await page.evaluate(
        """() => ({
            scrollWidth: document.documentElement.scrollWidth,
            clientWidth: document.documentElement.clientWidth,
            figures: [...document.querySelectorAll('.figure')].map((f) => f.getBoundingClientRect().toJSON()),
            countdown: document.getElementById('countdown').getBoundingClientRect().toJSON(),
            bids: document.getElementById('bids').getBoundingClientRect().toJSON(),
        })"""
    )
    assert layout["scrollWidth"] <= layout["clientWidth"]  # no horizontal scroll at 1366 x 768
    figures = layout["figures"]
    assert len({round(f["top"]) for f in figures}) == 1  # the five figures side by side on one row
    assert all(f["left"] >= 0 and f["right"] <= VIEWPORT["width"] for f in figures)
    assert layout["countdown"]["bottom"] <= VIEWPORT["height"]  # the countdown above the fold
    assert layout["bids"]["left"] > layout["countdown"]["right"]  # recent bids in the right-hand column

    await sync_to_async(auction_close)(auction_id=auction.id, closed_by=administrator)
    await page.wait_for_selector("#result:not([hidden])")
    await text_becomes(page, "#result-price", "152")
    await text_becomes(page, "#result-fill-ratio", "0.6")  # 300 of the 500 bid at 152
    await text_becomes(page, "#commitment-check", "matches the commitment")
    assert await page.inner_text("#result-status") == "completed (closed_by_staff)"
    await text_becomes(page, "#imbalance", "200")  # the book's figures now from the result, not the emptied live book
    assert (await page.inner_text("#total-bids"), await page.inner_text("#total-quantity")) == ("5", "1300")
    assert "the committed random end was" in await page.inner_text("#phase-note")
    assert await page.inner_text("#countdown-label") == "Ended" and await page.text_content("#price-label") == "clearing price"
    assert await page.locator("#demand-curve tbody tr").count() == 4
    assert await trader_page.locator("#bid-form").is_hidden()
    await page.screenshot(path=str(Path(tmp_path) / "auction-result-1366x768.png"), full_page=True)
