"""The protocol over a real socket: daphne in its own process, on the in-process layer and on Redis."""

import pytest
from asgiref.sync import sync_to_async

from streams.protocol import CloseCode
from streams.publishing import publish
from tests.conftest import token_for
from tests.support.ws import WsClient
from trading.events import OrderCancelled, TradeCancelled

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


async def authenticated(url: str, user) -> WsClient:
    client = await WsClient.open(url)
    reply = await client.request({"type": "auth", "token": token_for(user), "correlation_id": "auth-1"})
    assert reply == {
        "type": "auth_response",
        "status": "authenticated",
        "account_id": getattr(getattr(user, "account", None), "id", None),
        "message": "Successfully authenticated",
        "timestamp": reply["timestamp"],
        "correlation_id": "auth-1",
    }
    return client


@pytest.fixture(params=["in_process", "redis"])
def server(request):
    return request.getfixturevalue("daphne" if request.param == "in_process" else "daphne_redis")


async def test_subscribe_and_receive_an_event_published_by_another_process(server, trader):
    client = await authenticated(server.ws_url, trader)
    account_id = trader.account.id
    reply = await client.request({"type": "subscribe", "channel": "orders", "account_id": account_id})
    assert reply["type"] == "subscription_response" and reply["status"] == "subscribed", reply

    # The test process commits the event; daphne's relay finds it in the shared database.
    cancelled = OrderCancelled(account_id=account_id, order_id="ord_0000000000000001", reason="user_requested")
    await sync_to_async(publish)(event=cancelled, key=account_id)
    event = await client.wait_for("order_cancelled")
    assert event["channel"] == "orders" and event["sequence"] == 1 and event["order_id"] == "ord_0000000000000001"
    pong = await client.request({"type": "ping", "correlation_id": 7})
    assert pong["type"] == "pong" and pong["correlation_id"] == 7
    await client.close()


async def test_two_processes_on_redis_share_events_and_the_connection_limit(require_redis, daphne_servers, trader):
    limits = {"CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT": "2"}
    first = daphne_servers.get(redis_url=require_redis, env=limits, name="first")
    second = daphne_servers.get(redis_url=require_redis, env=limits, name="second")
    account_id = trader.account.id

    on_first = await authenticated(first.ws_url, trader)
    on_second = await authenticated(second.ws_url, trader)
    for client in (on_first, on_second):
        await client.request({"type": "subscribe", "channel": "trades", "account_id": account_id})

    # Both relays see the event; each process still delivers it exactly once.
    cancelled = TradeCancelled(trade_id="trd_0000000000000001", reason="settlement_failed")
    await sync_to_async(publish)(event=cancelled, key=account_id)
    for client in (on_first, on_second):
        event = await client.wait_for("trade_cancelled")
        assert event["sequence"] == 1
    assert [m for m in on_first.received if m["type"] == "trade_cancelled"] == [event]

    # A third connection is refused, whichever process it reaches.
    third = await WsClient.open(first.ws_url)
    error = await third.request({"type": "auth", "token": token_for(trader), "correlation_id": "c3"})
    assert error["type"] == "error" and error["code"] == "CONNECTION_LIMIT", error
    assert error["details"] == {"limit": 2, "closing": True} and error["correlation_id"] == "c3"
    assert await third.wait_closed() == CloseCode.CONNECTION_LIMIT

    # Closing one frees its place for a connection on the other process.
    await on_second.close()
    again = await authenticated(first.ws_url, trader)
    await again.close()
    await on_first.close()


async def test_a_lone_surrogate_gets_an_invalid_request_and_the_socket_stays(daphne, trader):
    client = await WsClient.open(daphne.ws_url)
    await client.send('{"type":"auth","token":"\\ud800","correlation_id":"s"}')
    error = await client.next()
    assert (error["code"], error["details"]["field"], error["correlation_id"]) == ("INVALID_REQUEST", "token", "s")
    await client.close()
    client = await authenticated(daphne.ws_url, trader)
    await client.send('{"type":"subscribe","channel":"market_data","symbols":["\\ud800"]}')
    error = await client.next()
    assert (error["code"], error["details"]["field"]) == ("INVALID_REQUEST", "symbols[0]")
    assert (await client.request({"type": "ping"}))["type"] == "pong"
    await client.close()


async def test_a_message_over_a_mebibyte_is_answered_and_closed_not_dropped(daphne, trader):
    client = await authenticated(daphne.ws_url, trader)
    size = 1024 * 1024 + 1
    await client.send("x" * size)
    error = await client.next()
    assert error["code"] == "MESSAGE_SIZE_EXCEEDED"
    assert error["details"] == {"size": size, "limit": 64 * 1024, "closing": True}
    assert await client.wait_closed() == CloseCode.MESSAGE_TOO_BIG
