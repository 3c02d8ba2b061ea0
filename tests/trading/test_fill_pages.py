"""GET /v1/trades pages an account's fills as two index-ordered parts, bought and sold (trading.history.fill_list):
the pages still walk every fill once, newest first, ties broken by id, both sides mixed, filters and self-trades as
before, one statement a page."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.pagination import paginate
from tests.trading.conftest import fund
from tests.trading.test_api import client_for
from tests.trading.test_history_api import all_pages
from tests.trading.test_matching import place
from trading.history import fill_list
from trading.models import Order, Side, Trade

pytestmark = pytest.mark.django_db

AAPL, GOOGL = "AAPL/USDC", "GOOGL/USDC"
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def orders(buyer, seller) -> dict[tuple[str, str, str], Order]:
    """A resting buy and sell order of each account in each market, none crossing: what hand-made trades fill.
    Keyed by (username, side, symbol)."""
    fund(buyer, AAPL="10", GOOGL="10")
    prices = {("buyer", "buy"): "90", ("buyer", "sell"): "200", ("seller", "sell"): "300", ("seller", "buy"): "50"}
    users = {"buyer": buyer, "seller": seller}
    return {
        (name, side, symbol): place(users[name], side, "1", price, symbol=symbol)
        for (name, side), price in prices.items()
        for symbol in (AAPL, GOOGL)
    }


def trade(orders, *, buyer: str, seller: str, symbol: str = AAPL, seconds: int = 0, taker_side: str = Side.BUY) -> Trade:
    buy_order, sell_order = orders[buyer, "buy", symbol], orders[seller, "sell", symbol]
    return Trade.objects.create(
        market_id=symbol, buy_order=buy_order, sell_order=sell_order, buyer_id=buy_order.account_id, seller_id=sell_order.account_id,
        taker_side=taker_side, price=D("100"), quantity=D("1"), gross_amount=D("100"), commission=D("0.1"),
        executed_at=START + timedelta(seconds=seconds),
    )  # fmt: skip


def as_seen_by(account_id: str, trades: list[Trade]) -> list[tuple[str, str, str]]:
    """The brute-force reference: (trade id, side, own order id) of the account's fills, newest first, ties by id;
    a self-trade once, as its buy."""
    own = sorted((t for t in trades if account_id in (t.buyer_id, t.seller_id)), key=lambda t: (t.executed_at, t.id), reverse=True)
    return [(t.id, "buy", t.buy_order_id) if t.buyer_id == account_id else (t.id, "sell", t.sell_order_id) for t in own]


def test_pages_walk_every_fill_once_newest_first_both_sides_mixed_ties_by_id(orders, buyer):
    account_id = buyer.account.id
    trades = []
    for n in range(13):  # 4 moments, up to 4 fills each, bought and sold, in two markets
        bought, sold = ("buyer", "seller") if n % 2 else ("seller", "buyer")
        trades.append(trade(orders, buyer=bought, seller=sold, seconds=n % 4, symbol=GOOGL if n % 3 == 0 else AAPL))
    client = client_for(buyer)
    for limit in (1, 3, 13, 100):
        walked = all_pages(client, "/v1/trades", limit=limit)
        assert [(f["trade_id"], f["side"], f["order_id"]) for f in walked] == as_seen_by(account_id, trades), limit
    googl = [(f["trade_id"], f["side"]) for f in all_pages(client, f"/v1/trades?symbol={GOOGL}", limit=2)]
    assert googl == [(i, side) for i, side, _ in as_seen_by(account_id, [t for t in trades if t.market_id == GOOGL])]
    sold_aapl = orders["buyer", "sell", AAPL].id
    assert [f["trade_id"] for f in all_pages(client, f"/v1/trades?order_id={sold_aapl}", limit=2)] == [
        i for i, _, order_id in as_seen_by(account_id, trades) if order_id == sold_aapl
    ]


def test_a_self_trade_is_one_fill_the_buy_of_its_account(orders, buyer, seller):
    own = trade(orders, buyer="buyer", seller="buyer", seconds=5, taker_side=Side.SELL)
    trade(orders, buyer="seller", seller="buyer", symbol=GOOGL, seconds=1)  # its orders are not the self-trade's
    fills = all_pages(client_for(buyer), "/v1/trades", limit=1)
    assert [(f["trade_id"], f["side"], f["order_id"], f["liquidity"]) for f in fills[:1]] == [(own.id, "buy", own.buy_order_id, "taker")]
    assert len(fills) == 2
    # Filtered by either of its orders it shows, as its buy, as it did under one `buyer OR seller` filter.
    for order_id in (own.buy_order_id, own.sell_order_id):
        assert [f["trade_id"] for f in all_pages(client_for(buyer), f"/v1/trades?order_id={order_id}", limit=5)] == [own.id]
    assert [f["side"] for f in all_pages(client_for(seller), "/v1/trades", limit=5)] == ["buy"]  # not the seller's


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
PAIRS = [("buyer", "seller"), ("seller", "buyer"), ("buyer", "buyer"), ("seller", "seller")]  # who bought, who sold
fills_drawn = st.lists(st.tuples(st.sampled_from(PAIRS), st.sampled_from([AAPL, GOOGL]), st.integers(0, 3)), max_size=20)


@PROPERTY
@given(drawn=fills_drawn, limit=st.integers(1, 5), symbol=st.sampled_from([None, AAPL]), order_side=st.sampled_from([None, "buy", "sell"]))
def test_the_pages_are_the_sorted_fills_of_the_account_one_statement_each(orders, buyer, drawn, limit, symbol, order_side):
    Trade.objects.all().delete()  # one example's trades at a time; the orders stay
    trades = [trade(orders, buyer=bought, seller=sold, symbol=market, seconds=seconds) for (bought, sold), market, seconds in drawn]
    account_id = buyer.account.id
    order_id = orders["buyer", order_side, AAPL].id if order_side else None  # one of the account's AAPL orders
    walked, cursor = [], None
    while True:
        with CaptureQueriesContext(connection) as captured:
            page = paginate(
                fill_list(account_id=account_id, symbol=symbol, order_id=order_id), query_params={"limit": limit} | ({"cursor": cursor} if cursor else {}),
                list_name="trades", owner=account_id, time_field="executed_at",
            )  # fmt: skip
        assert len(captured.captured_queries) == 1
        walked += [(fill.id, fill.side, fill.order_id) for fill in page.results]
        if not (cursor := page.next_cursor):
            break
    def of_order(t: Trade) -> bool:  # the account's order on either side, as one `buyer OR seller` filter had it
        return order_id is None or (t.buyer_id, t.buy_order_id) == (account_id, order_id) or (t.seller_id, t.sell_order_id) == (account_id, order_id)

    assert walked == as_seen_by(account_id, [t for t in trades if symbol in (None, t.market_id) and of_order(t)])
