"""The issue's "done when" against a real daphne: demo book, REST orders, settlement by the server's own jobs."""

import asyncio
from decimal import Decimal as D
from io import StringIO

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.core.management import call_command

from streams.publishing import stream_sequence
from tests.conftest import token_for
from tests.e2e.live import post_order
from tests.e2e.server import daphne, daphne_servers  # noqa: F401  (fixtures)
from tests.event_shapes import assert_event_shape
from tests.support.ws import WsClient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ACCOUNT_CHANNELS = ["orders", "trades", "settlements", "account_notifications"]
EXPECTED = {"order_created", "order_filled", "trade_executed", "settlement_created", "settlement_confirmed", "balance_updated"}


def post_order_at_150_50(base_url: str, user, side: str) -> dict:
    return post_order(base_url, user, symbol="AAPL/USDC", side=side, quantity=100, price=D("150.50"))


async def connect(url: str, user, subscribe: dict) -> WsClient:
    client = await WsClient.open(url)
    assert (await client.request({"type": "auth", "token": token_for(user)}))["status"] == "authenticated"
    await client.send(subscribe)
    return client


async def read_until(client: WsClient, done) -> None:
    """Reads until `done(received)` holds: the streams interleave, so their order is not fixed."""
    while not done(client.received):
        await client.next(timeout=15)


async def test_demo_traders_cross_at_150_50_and_the_server_settles_it(daphne, markets):
    await sync_to_async(call_command)("seed_demo", stdout=StringIO())
    users = await sync_to_async(lambda: {u.username: u for u in get_user_model().objects.select_related("account")})()
    alice, bob, officer = users["alice"], users["bob"], users["officer"]
    every_account_channel = {"type": "subscribe", "channels": [{"channel": c} for c in ACCOUNT_CHANNELS]}
    buyer_ws = await connect(daphne.ws_url, bob, every_account_channel)
    seller_ws = await connect(daphne.ws_url, alice, every_account_channel)
    watcher = await connect(daphne.ws_url, officer, {"type": "subscribe", "channel": "market_data", "symbols": ["AAPL/USDC"]})
    snapshot = await watcher.wait_for("orderbook_snapshot")
    assert snapshot["asks"][0] == {"price": D("150.6"), "quantity": 10}  # the demo book leaves 150.50 free
    for client in (buyer_ws, seller_ws):
        for _ in ACCOUNT_CHANNELS:
            await client.wait_for("subscription_response")

    before = await sync_to_async(
        lambda: {c: stream_sequence(channel=c, key=bob.account.id) for c in ACCOUNT_CHANNELS}
    )()
    sell = await asyncio.to_thread(post_order_at_150_50, daphne.base_url, alice, "sell")
    buy = await asyncio.to_thread(post_order_at_150_50, daphne.base_url, bob, "buy")
    assert sell["status"] == "open" and buy["status"] == "filled", daphne.log()

    # Nobody runs the jobs here: daphne's own job thread settles the trade.
    def since_the_orders(got):
        return [m for m in got if "sequence" in m and m["sequence"] > before[m["channel"]]]

    # created + filled, executed, created + confirmed, two balance updates (hold, settlement)
    await read_until(buyer_ws, lambda got: len(since_the_orders(got)) >= 7)
    live = since_the_orders(buyer_ws.received)
    assert sorted(m["type"] for m in live) == sorted([*EXPECTED, "balance_updated"]), live
    for message in live:
        assert_event_shape(message)
    for channel in ACCOUNT_CHANNELS:
        sequences = [m["sequence"] for m in live if m["channel"] == channel]
        assert sequences == list(range(before[channel] + 1, before[channel] + 1 + len(sequences))), channel
    confirmed = next(m for m in live if m["type"] == "settlement_confirmed")
    trade = next(m for m in live if m["type"] == "trade_executed")
    assert (trade["order_id"], trade["price"], trade["quantity"], trade["net_amount"]) == (
        buy["order_id"], D("150.5"), 100, D("15065.05")
    )
    assert confirmed["dvp_transaction_id"].startswith("dvp_tx_")
    await read_until(seller_ws, lambda got: any(m["type"] == "settlement_confirmed" for m in got))
    seller_trade = next(m for m in seller_ws.received if m["type"] == "trade_executed")
    assert (seller_trade["order_id"], seller_trade["trade_id"]) == (sell["order_id"], trade["trade_id"])
    price = await watcher.wait_for("price_update", last_price=D("150.5"))
    assert (price["bid"], price["ask"]) == (D("150.4"), D("150.6"))
    for client in (buyer_ws, seller_ws, watcher):
        await client.close()
