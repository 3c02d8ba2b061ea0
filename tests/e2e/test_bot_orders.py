"""A trading bot against real daphne (running its background jobs): order entry over the socket with a
client_order_id, a lost connection, recovery by that id over REST, the dead-man's switch and cancel-on-disconnect."""

import pytest
from asgiref.sync import sync_to_async

from kernel.json import loads
from streams.protocol import CloseCode
from tests.e2e.live import SYMBOL, authenticated, http, post_order
from tests.e2e.server import daphne, daphne_servers  # noqa: F401  (fixtures)
from tests.support.ws import WsClient
from trading.models import CancelAllAfter, Order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

JOB_TIMEOUT_S = 20.0  # the switch's 1 s, then the job's next tick, on a loaded machine
BID = {"symbol": SYMBOL, "side": "buy", "order_type": "limit", "quantity": 1, "price": 1}


def call(base_url: str, user, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    status, _, answer = http(f"{base_url}{path}", method, user=user, body=body)
    return status, loads(answer)


async def orders_stream(url: str, user) -> WsClient:
    """A client following the user's orders from the stream's first event (since 0: what came before too)."""
    client = await authenticated(url, user)
    reply = await client.request({"type": "subscribe", "channel": "orders", "account_id": user.account.id, "since": 0})
    assert reply["status"] == "subscribed", reply
    return client


async def test_a_bot_that_lost_its_connection_finds_its_order_by_client_id_and_the_switch_cancels_everything(daphne, make_trader):
    user = await make_trader()
    bot = await authenticated(daphne.ws_url, user)
    await bot.send({"type": "place_order", **BID, "client_order_id": "bot-7", "correlation_id": "lost"})
    bot.transport.abort()  # type: ignore[attr-defined]  # gone before the answer: was the order placed?

    bot = await orders_stream(daphne.ws_url, user)
    created = await bot.wait_for("order_created", client_order_id="bot-7")
    status, found = await sync_to_async(call)(daphne.base_url, user, "GET", "/v1/orders/by-client-id/bot-7")
    assert status == 200 and found["order_id"] == created["order_id"] and found["status"] == "open", found
    status, retried = await sync_to_async(call)(daphne.base_url, user, "POST", "/v1/orders", {**BID, "client_order_id": "bot-7"})
    assert (status, retried) == (200, found)  # the retry places nothing
    other = await sync_to_async(post_order)(daphne.base_url, user, **BID, client_order_id="bot-8")

    await bot.send({"type": "cancel_all_after", "timeout_s": 1, "correlation_id": "switch"})
    armed = await bot.wait_for("order_accepted", correlation_id="switch")  # past bot-8's events
    assert armed["request"] == "cancel_all_after" and armed["trigger_time"] > armed["current_time"]

    # No refresh: the server's job fires the switch.
    first = await bot.wait_for("order_cancelled", timeout=JOB_TIMEOUT_S)
    second = await bot.wait_for("order_cancelled")
    assert {first["order_id"], second["order_id"]} == {found["order_id"], other["order_id"]}
    assert first["reason"] == second["reason"] == "cancel_all_after"
    assert not await sync_to_async(CancelAllAfter.objects.filter(account_id=user.account.id).exists)()
    assert await sync_to_async(Order.objects.filter(account_id=user.account.id).count)() == 2
    await bot.close()


@pytest.mark.parametrize("closed_by", ["client", "server"])
async def test_cancel_on_disconnect_cancels_the_accounts_orders_however_the_socket_closes(daphne, make_trader, closed_by):
    user = await make_trader()
    watcher = await orders_stream(daphne.ws_url, user)
    bot = await authenticated(daphne.ws_url, user)
    assert (await bot.request({"type": "set_cancel_on_disconnect", "enabled": True}))["cancel_on_disconnect"] is True
    accepted = await bot.request({"type": "place_order", **BID, "client_order_id": f"cod-{closed_by}"})
    assert accepted["type"] == "order_accepted", accepted

    if closed_by == "client":
        bot.transport.abort()  # type: ignore[attr-defined]  # a SocketTransport (WsClient.open)
    else:  # a message far over the size limit: the server closes the socket
        await bot.send("x" * (1024 * 1024 + 1))
        assert await bot.wait_closed() == CloseCode.MESSAGE_TOO_BIG

    cancelled = await watcher.wait_for("order_cancelled")
    assert (cancelled["order_id"], cancelled["reason"]) == (accepted["order"]["order_id"], "cancel_on_disconnect")
    await watcher.close()
