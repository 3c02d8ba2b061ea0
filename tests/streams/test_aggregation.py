"""market_data aggregation: 100ms and 1s subscribers get coalesced updates (latest price, netted book)."""

from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from streams.publishing import publish
from tests.streams.wire import next_reply
from trading.events import OrderbookUpdate, PriceUpdate

pytestmark = pytest.mark.django_db(transaction=True)

SYMBOL = "AAPL/USDC"


def price(last: str) -> PriceUpdate:
    value = Decimal(last)
    return PriceUpdate(symbol=SYMBOL, bid=value, ask=value, mid=value, last_price=value)


def book(bids=(), asks=()) -> OrderbookUpdate:
    def levels(rows):
        return [{"price": Decimal(p), "quantity": Decimal(q), "action": a} for p, q, a in rows]

    return OrderbookUpdate(symbol=SYMBOL, changes={"bids": levels(bids), "asks": levels(asks)})


BURST = [
    price("150.1"),
    book(bids=[("150.00", "5", "update")]),
    price("150.2"),
    book(bids=[("150.00", "0", "delete"), ("149.90", "3", "update")], asks=[("150.50", "4", "update")]),
    book(asks=[("150.60", "1", "update"), ("150.50", "6", "update")]),
    price("150.3"),
]


def publish_burst():
    with transaction.atomic():  # one commit: the gateway receives the burst within one interval
        for event in BURST:
            publish(event=event, key=SYMBOL)


async def subscribe(client, aggregation: str) -> None:
    await client.send({"type": "subscribe", "channel": "market_data", "symbols": [SYMBOL], "aggregation": aggregation})
    assert (await next_reply(client))["aggregation"] == aggregation
    for _ in range(2):  # the snapshot: the book and the price as they are now
        snapshot = await client.next()
        assert snapshot["snapshot"] is True and snapshot["sequence"] == 0
        assert snapshot.get("aggregation", "raw") == aggregation  # raw messages carry no aggregation


def live(client) -> list[dict]:
    return [m for m in client.received if m["type"] in ("price_update", "orderbook_update") and not m.get("snapshot")]


async def test_100ms_coalesces_a_burst_while_raw_gets_every_event(authed, trader, other_trader, markets):
    coalesced, raw = await authed(trader), await authed(other_trader)
    await subscribe(coalesced, "100ms")
    await subscribe(raw, "raw")

    await sync_to_async(publish_burst)()
    await raw.wait_for("price_update", sequence=len(BURST))
    assert [m["sequence"] for m in live(raw)] == list(range(1, len(BURST) + 1))

    await coalesced.wait_for("price_update", timeout=2)
    orderbook, last_price = live(coalesced)
    assert orderbook["type"] == "orderbook_update" and orderbook["aggregation"] == "100ms"
    assert orderbook["changes"] == {  # the last action at each level stands; best price first
        "bids": [
            {"price": Decimal("150"), "quantity": Decimal("0"), "action": "delete"},
            {"price": Decimal("149.9"), "quantity": Decimal("3"), "action": "update"},
        ],
        "asks": [
            {"price": Decimal("150.5"), "quantity": Decimal("6"), "action": "update"},
            {"price": Decimal("150.6"), "quantity": Decimal("1"), "action": "update"},
        ],
    }
    assert last_price["last_price"] == Decimal("150.3") and last_price["symbol"] == SYMBOL
    assert [orderbook["sequence"], last_price["sequence"]] == [1, 2]  # the coalesced stream's own numbering
    assert last_price["timestamp"].endswith("Z")

    # The next interval continues the numbering.
    await sync_to_async(publish)(event=price("151"), key=SYMBOL)
    assert (await coalesced.wait_for("price_update", timeout=2))["sequence"] == 3


async def test_1s_sends_at_most_one_price_a_second(authed, trader, markets):
    client = await authed(trader)
    await subscribe(client, "1s")
    def three_prices():
        with transaction.atomic():  # one commit, so even a slow machine delivers them within one second
            for last in ("150.1", "150.2", "150.3"):
                publish(event=price(last), key=SYMBOL)

    await sync_to_async(three_prices)()
    update = await client.wait_for("price_update", timeout=3)
    assert update["last_price"] == Decimal("150.3") and update["sequence"] == 1 and update["aggregation"] == "1s"
    assert await client.nothing_more(0.3)
    assert len(live(client)) == 1
