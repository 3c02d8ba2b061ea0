"""Public market data over REST, no login: a market's book (the socket's levels), its trades (nobody's
account), its ticker; unknown markets and bad depths refused; anonymous callers throttled per IP."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from kernel.json import loads
from tests.kernel.test_throttles import assert_rate_limited, rates  # noqa: F401  (fixture)
from tests.trading.test_history_api import all_pages, place
from trading.models import Trade, TradeStatus

pytestmark = pytest.mark.django_db

AAPL = "/v1/markets/AAPL/USDC"


def public(path: str) -> tuple[int, dict]:
    response = APIClient().get(path)
    return response.status_code, loads(response.content)


def test_the_book_aggregates_levels_best_first_up_to_the_depth(buyer, seller):
    for quantity, price in (("2", "101"), ("3", "101"), ("1", "103"), ("4", "102")):
        place(seller, "sell", quantity, price)
    for quantity, price in (("5", "99"), ("1", "100"), ("2", "100")):
        place(buyer, "buy", quantity, price)
    place(buyer, "buy", "1", "101")  # takes 1 of the 5 at 101
    status, book = public(f"{AAPL}/orderbook")
    assert status == 200, book
    assert book["symbol"] == "AAPL/USDC" and book["timestamp"].endswith("Z")
    assert book["bids"] == [{"price": D("100"), "quantity": D("3")}, {"price": D("99"), "quantity": D("5")}]
    assert book["asks"] == [
        {"price": D("101"), "quantity": D("4")}, {"price": D("102"), "quantity": D("4")}, {"price": D("103"), "quantity": D("1")},
    ]  # fmt: skip
    status, top = public("/v1/markets/AAPL%2FUSDC/orderbook?depth=1")  # the slash may be escaped
    assert status == 200 and top["bids"] == book["bids"][:1] and top["asks"] == book["asks"][:1]


@pytest.mark.parametrize("depth", ["0", "-1", "501", "abc", "1.5"])
def test_a_bad_depth_is_a_validation_error(markets, depth):
    status, body = public(f"{AAPL}/orderbook?depth={depth}")
    assert status == 400 and body["code"] == "VALIDATION_ERROR" and "depth" in body["errors"]


@pytest.mark.parametrize("endpoint", ["orderbook", "trades", "ticker"])
@pytest.mark.parametrize("symbol", ["TSLA/USDC", "AAPL", "AAPL/USDC/x"])
def test_an_unknown_market_is_404(markets, endpoint, symbol):
    status, body = public(f"/v1/markets/{symbol}/{endpoint}")
    assert status == 404 and body["code"] == "MARKET_NOT_FOUND" and body["details"] == {"symbol": symbol}


def test_public_trades_are_newest_first_without_accounts_and_paged(buyer, seller):
    for price in ("100", "101", "102"):
        place(seller, "sell", "1", price)
        place(buyer, "buy", "1", price)
    cancelled = Trade.objects.get(price=D("101"))
    Trade.objects.filter(pk=cancelled.pk).update(status=TradeStatus.CANCELLED)  # as a failed settlement leaves it
    place(seller, "sell", "1", "50", symbol="GOOGL/USDC")
    place(buyer, "buy", "1", "50", symbol="GOOGL/USDC")
    trades = all_pages(APIClient(), f"{AAPL}/trades", limit=1)
    assert [t["price"] for t in trades] == [D("102"), D("100")]
    assert set(trades[0]) == {"trade_id", "symbol", "price", "quantity", "taker_side", "executed_at"}
    assert trades[0]["taker_side"] == "buy" and trades[0]["symbol"] == "AAPL/USDC"
    status, body = public(f"{AAPL}/trades?limit=0")
    assert status == 400 and "limit" in body["errors"]
    googl_cursor = public("/v1/markets/GOOGL/USDC/trades?limit=1")[1]["next_cursor"]
    assert googl_cursor is None
    aapl_cursor = public(f"{AAPL}/trades?limit=1")[1]["next_cursor"]
    status, body = public(f"/v1/markets/GOOGL/USDC/trades?cursor={aapl_cursor}")  # another market's cursor
    assert status == 400 and body["code"] == "INVALID_CURSOR"


def test_the_ticker_has_the_book_prices_and_the_last_24_hours(buyer, seller):
    status, empty = public(f"{AAPL}/ticker")
    assert status == 200 and empty["last_price"] is None and empty["bid"] is None and empty["open_24h"] is None
    assert empty["volume_24h"] == 0 and empty["trades_24h"] == 0 and empty["change_24h"] is None
    for quantity, price in (("1", "90"), ("2", "100"), ("1", "110"), ("3", "105")):
        place(seller, "sell", quantity, price)
        place(buyer, "buy", quantity, price)
    old = Trade.objects.get(price=D("90"))
    Trade.objects.filter(pk=old.pk).update(executed_at=old.executed_at - timedelta(hours=25))  # outside the window
    place(buyer, "buy", "1", "104")
    place(seller, "sell", "2", "106")
    status, ticker = public(f"{AAPL}/ticker")
    assert status == 200, ticker
    assert ticker["last_price"] == D("105") and ticker["bid"] == D("104") and ticker["ask"] == D("106") and ticker["mid"] == D("105")
    assert (ticker["open_24h"], ticker["high_24h"], ticker["low_24h"]) == (D("100"), D("110"), D("100"))
    assert ticker["volume_24h"] == D("6") and ticker["quote_volume_24h"] == D("625") and ticker["trades_24h"] == 3
    assert ticker["change_24h"] == D("5") and ticker["change_percent_24h"] == D("5")
    assert ticker["symbol"] == "AAPL/USDC" and ticker["timestamp"].endswith("Z")


def test_anonymous_market_data_is_throttled_per_ip(markets, rates):
    rates(anon="2/min")
    client = APIClient(REMOTE_ADDR="10.0.0.1")
    assert [client.get(f"{AAPL}/{endpoint}").status_code for endpoint in ("orderbook", "ticker")] == [200, 200]
    assert_rate_limited(client.get(f"{AAPL}/trades"), within_s=60)
    assert APIClient(REMOTE_ADDR="10.0.0.2").get(f"{AAPL}/orderbook").status_code == 200


# Per anonymous request: the market, then the book's two sides; its trades' page; the ticker's two best
# prices, the 24-hour aggregate and the first price of the window. Whatever the book or the tape holds.
STATEMENTS = {"orderbook": 3, "trades": 2, "ticker": 5}


def test_market_data_costs_the_same_few_statements_however_big_the_market(buyer, seller):
    def counts() -> dict[str, int]:
        found = {}
        for endpoint in STATEMENTS:
            with CaptureQueriesContext(connection) as captured:
                assert APIClient().get(f"{AAPL}/{endpoint}").status_code == 200
            found[endpoint] = len(captured.captured_queries)
        return found

    place(seller, "sell", "1", "100")
    place(buyer, "buy", "1", "100")
    small = counts()
    for price in range(101, 111):
        place(seller, "sell", "1", str(price))
        place(buyer, "buy", "1", str(price))
        place(seller, "sell", "1", str(price + 100))
        place(buyer, "buy", "1", str(price - 50))
    assert small == counts() == STATEMENTS


@pytest.mark.django_db(transaction=True)
async def test_the_rest_book_and_ticker_equal_what_a_market_data_subscriber_gets(authed, buyer, seller, other_trader):
    act = sync_to_async
    for quantity, price in (("2", "151"), ("3", "151"), ("5", "152.25"), ("1", "150")):
        await act(place)(seller, "sell", quantity, price)
    for quantity, price in (("8", "149"), ("3", "149.5"), ("1", "149.5"), ("2", "151")):
        await act(place)(buyer, "buy", quantity, price)  # the last takes 1 at 150 and 1 at 151
    client = await authed(other_trader)
    await client.send({"type": "subscribe", "channel": "market_data", "symbols": ["AAPL/USDC"]})
    book = await client.wait_for("orderbook_snapshot")
    prices = await client.wait_for("price_update")
    rest_book = (await act(public)(f"{AAPL}/orderbook?depth=500"))[1]
    rest_ticker = (await act(public)(f"{AAPL}/ticker"))[1]
    assert rest_book["bids"] == book["bids"] and rest_book["asks"] == book["asks"]
    assert len(book["bids"]) == 2 and len(book["asks"]) == 2  # 150 was taken: levels at 151 (4 left) and 152.25
    assert {key: rest_ticker[key] for key in ("bid", "ask", "mid", "last_price")} == {
        key: prices[key] for key in ("bid", "ask", "mid", "last_price")
    }
