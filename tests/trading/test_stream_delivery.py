"""The issue's "done when": two traders cross at 150.50 and every subscriber sees it, over the WebSocket."""

from decimal import Decimal as D

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from kernel import jobs
from kernel.json import loads
from streams.publishing import stream_sequence
from tests.conftest import token_for
from tests.event_shapes import assert_event_shape
from trading.services import order_place

pytestmark = pytest.mark.django_db(transaction=True)

ACCOUNT_CHANNELS = ["orders", "trades", "settlements", "account_notifications"]


def rest_order(user, side: str) -> dict:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    body = {"symbol": "AAPL/USDC", "side": side, "order_type": "limit", "quantity": 100, "price": 150.50}
    response = client.post("/v1/orders", body, format="json")
    assert response.status_code == 201, response.content
    return loads(response.content)


async def subscribe_account(client, user) -> None:
    await client.send({"type": "subscribe", "channels": [{"channel": c} for c in ACCOUNT_CHANNELS]})
    for _ in ACCOUNT_CHANNELS:
        assert (await client.wait_for("subscription_response"))["status"] == "subscribed"


def sequences_now(key: str, channels: list[str]) -> dict[str, int]:
    return {channel: stream_sequence(channel=channel, key=key) for channel in channels}


def by_channel(messages: list[dict], after: dict[str, int]) -> dict[str, list[dict]]:
    """Live events per channel numbered after `after` (what happened before the orders is left out);
    checks on the way that each stream continues exactly from there, with no gap."""
    streams: dict[str, list[dict]] = {}
    for message in messages:
        if "sequence" in message and not message.get("snapshot") and message["sequence"] > after[message["channel"]]:
            streams.setdefault(message["channel"], []).append(message)
    for channel, stream in streams.items():
        sequences = [event["sequence"] for event in stream]
        assert sequences == list(range(after[channel] + 1, after[channel] + 1 + len(stream))), (channel, sequences)
    return streams


async def wait_all(client, *expected: str) -> None:
    """Reads until every expected type has arrived, in whatever order the streams interleave them."""
    missing = [kind for kind in expected if kind not in {m["type"] for m in client.received}]
    for kind in missing:
        if kind not in {m["type"] for m in client.received}:
            await client.wait_for(kind)


async def test_two_traders_cross_and_every_stream_shows_it(authed, buyer, seller, officer):
    buyer_ws, seller_ws, watcher = await authed(buyer), await authed(seller), await authed(officer)
    await subscribe_account(buyer_ws, buyer)
    await subscribe_account(seller_ws, seller)
    await watcher.send({"type": "subscribe", "channel": "market_data", "symbols": ["AAPL/USDC"]})
    await watcher.wait_for("subscription_response")
    book = await watcher.wait_for("orderbook_snapshot")
    assert book["snapshot"] is True and book == {**book, "symbol": "AAPL/USDC", "bids": [], "asks": []}
    assert (await watcher.wait_for("price_update"))["snapshot"] is True

    before = {
        user: await sync_to_async(sequences_now)(user.account.id, ACCOUNT_CHANNELS) for user in (buyer, seller)
    }
    before_market = await sync_to_async(sequences_now)("AAPL/USDC", ["market_data"])
    sell = await sync_to_async(rest_order)(seller, "sell")
    buy = await sync_to_async(rest_order)(buyer, "buy")
    assert buy["status"] == "filled"
    await sync_to_async(jobs.run_due)(force=True)  # the settlement job, as the server's job thread runs it

    await wait_all(buyer_ws, "settlement_confirmed")
    buyer_streams = by_channel(buyer_ws.received, before[buyer])
    while len(buyer_streams.get("account_notifications", [])) < 2:
        await buyer_ws.wait_for("balance_updated")
        buyer_streams = by_channel(buyer_ws.received, before[buyer])
    assert [e["type"] for e in buyer_streams["orders"]] == ["order_created", "order_filled"]
    assert [e["type"] for e in buyer_streams["trades"]] == ["trade_executed"]
    assert [e["type"] for e in buyer_streams["settlements"]] == ["settlement_created", "settlement_confirmed"]
    assert [e["type"] for e in buyer_streams["account_notifications"]] == ["balance_updated", "balance_updated"]
    for stream in buyer_streams.values():
        for event in stream:
            assert_event_shape(event)
    created, filled = buyer_streams["orders"]
    assert created["order_id"] == filled["order_id"] == buy["order_id"]
    assert (created["status"], created["quantity"], created["price"]) == ("pending", 100, D("150.5"))
    trade = buyer_streams["trades"][0]
    assert (trade["quantity"], trade["price"], trade["gross_amount"], trade["commission"], trade["net_amount"]) == (
        100, D("150.5"), D("15050"), D("15.05"), D("15065.05")
    )
    assert filled["trade_id"] == trade["trade_id"] == buyer_streams["settlements"][0]["trade_id"]
    assert buyer_streams["settlements"][1]["dvp_transaction_id"].startswith("dvp_tx_")
    held, settled = buyer_streams["account_notifications"]
    assert (held["total_balance"], held["available_balance"], held["reserved_balance"]) == (
        1000000, D("984934.95"), D("15065.05")
    )
    # 984934.95 USDC plus 100 AAPL at the last price, 150.50
    assert (settled["total_balance"], settled["available_balance"], settled["reserved_balance"]) == (
        D("999984.95"), D("999984.95"), 0
    )

    # The seller's side mirrors it.
    await wait_all(seller_ws, "settlement_confirmed")
    seller_streams = by_channel(seller_ws.received, before[seller])
    while len(seller_streams.get("account_notifications", [])) < 2:
        await seller_ws.wait_for("balance_updated")
        seller_streams = by_channel(seller_ws.received, before[seller])
    assert [e["type"] for e in seller_streams["orders"]] == ["order_created", "order_updated", "order_filled"]
    assert seller_streams["orders"][0]["order_id"] == sell["order_id"]
    seller_trade = seller_streams["trades"][0]
    assert (seller_trade["side"], seller_trade["net_amount"], seller_trade["trade_id"]) == (
        "sell", D("15034.95"), trade["trade_id"]
    )
    assert [e["type"] for e in seller_streams["settlements"]] == ["settlement_created", "settlement_confirmed"]
    assert seller_streams["account_notifications"][-1]["reserved_balance"] == 0

    # Market data: the ask appears, then the trade takes it and the price moves.
    await watcher.wait_for("price_update", last_price=D("150.5"))
    market = by_channel(watcher.received, before_market)["market_data"]
    for event in market:
        assert_event_shape(event)
    assert [e["type"] for e in market] == ["orderbook_update", "price_update", "orderbook_update", "price_update"]
    assert market[0]["changes"]["asks"] == [{"price": D("150.5"), "quantity": 100, "action": "update"}]
    assert market[1]["ask"] == D("150.5") and market[1]["last_price"] is None
    assert market[2]["changes"]["asks"] == [{"price": D("150.5"), "quantity": 0, "action": "delete"}]


async def test_market_data_snapshot_describes_the_book_and_live_updates_follow(authed, seller, trader, markets):
    for price, quantity in (("151.00", "5"), ("151.00", "7"), ("152.00", "1")):
        await sync_to_async(order_place)(
            account_id=seller.account.id, symbol="AAPL/USDC", side="sell", order_type="limit",
            quantity=D(quantity), price=D(price),
        )
    client = await authed(trader)
    await client.send({"type": "subscribe", "channel": "market_data", "symbols": ["AAPL/USDC"], "aggregation": "raw"})
    await client.wait_for("subscription_response")
    book = await client.wait_for("orderbook_snapshot")
    assert book["asks"] == [{"price": 151, "quantity": 12}, {"price": 152, "quantity": 1}] and book["bids"] == []
    price = await client.wait_for("price_update")
    assert (price["bid"], price["ask"], price["mid"], price["last_price"]) == (None, 151, None, None)
    assert book["sequence"] == price["sequence"] == 6  # 3 orders x (book + price): the last before the snapshot
    await sync_to_async(order_place)(
        account_id=seller.account.id, symbol="AAPL/USDC", side="sell", order_type="limit", quantity=D("2"), price=D("151.00")
    )
    update = await client.wait_for("orderbook_update")
    assert update["sequence"] == 7 and update["changes"]["asks"] == [{"price": 151, "quantity": 14, "action": "update"}]


async def test_aggregated_market_data_nets_book_changes_and_keeps_the_latest_price(authed, seller, trader, markets):
    client = await authed(trader)
    await client.send({"type": "subscribe", "channel": "market_data", "symbols": ["AAPL/USDC"], "aggregation": "1s"})
    await client.wait_for("subscription_response")
    await client.wait_for("price_update")  # the snapshot's
    for price in ("151.00", "151.00", "150.90"):
        await sync_to_async(order_place)(
            account_id=seller.account.id, symbol="AAPL/USDC", side="sell", order_type="limit", quantity=D("5"), price=D(price)
        )
    latest = await client.wait_for("price_update", ask=D("150.9"), timeout=5)
    assert latest["aggregation"] == "1s" and "snapshot" not in latest
    books = [m for m in client.received if m["type"] == "orderbook_update"]
    assert 1 <= len(books) <= 3
    levels = {}
    for book in books:
        for change in book["changes"]["asks"]:
            levels[change["price"]] = change["quantity"]
    assert levels == {D("151"): 10, D("150.9"): 5}  # absolute quantities: netting keeps the last per level
