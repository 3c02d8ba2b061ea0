"""The Python SDK's stream bookkeeping against a scripted server (websockets, no daphne): duplicates dropped, a gap
reconnects with `since`, `recovered: false` asks the application to resync, close 4003 stops for good; requests
get their own reply by correlation_id, and those waiting when the connection breaks fail."""

import asyncio
import json
from decimal import Decimal

import pytest
from cantondex_client import AuthError, Client, Connected, ConnectionLostError, Disconnected, RequestError, ResyncRequired, events
from websockets.asyncio.server import serve

from tests.clients.support import next_of

API_KEY = "key_0123456789abcdef.secret"


def order(sequence: int) -> str:
    return json.dumps({"type": "order_created", "channel": "orders", "sequence": sequence, "account_id": "acc_1",
                       "order_id": f"ord_{sequence}", "symbol": "AAPL/USDC", "side": "buy", "order_type": "limit",
                       "quantity": 1, "price": "PRICE", "status": "open", "timestamp": "2026-01-01T00:00:00.000Z"}
                      ).replace('"PRICE"', "123456789012.12345678")  # more digits than a float holds


async def test_resume_after_a_gap_resync_beyond_the_window_and_stop_on_4003():
    subscribes: list[list[dict]] = []

    async def gateway(socket):
        assert json.loads(await socket.recv()) == {"type": "auth", "api_key": API_KEY}
        await socket.send(json.dumps({"type": "auth_response", "status": "authenticated", "account_id": "acc_1"}))
        subscribes.append(json.loads(await socket.recv())["channels"])
        connection = len(subscribes)
        if connection == 1:
            await socket.send(json.dumps({"type": "subscription_response", "channel": "orders", "status": "subscribed"}))
            await socket.send(json.dumps({"type": "ping"}))
            assert json.loads(await socket.recv()) == {"type": "pong"}
            for sequence in (5, 6, 6, 8):  # a duplicate, then 7 missing
                await socket.send(order(sequence))
            await socket.wait_closed()  # the client hangs up on the gap
        elif connection == 2:
            await socket.send(json.dumps({"type": "subscription_response", "channel": "orders", "recovered": True, "replayed": 2}))
            for sequence in (7, 8):
                await socket.send(order(sequence))
            await socket.close()
        else:
            await socket.send(json.dumps({"type": "subscription_response", "channel": "orders", "recovered": False,
                                          "reason": "window_exceeded", "resync": "reload", "sequence": 2000}))
            await socket.send(order(2001))
            await socket.close(4003, "user disabled")

    async with serve(gateway, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = Client(f"http://127.0.0.1:{port}", api_key=API_KEY, backoff_initial_s=0.01, backoff_max_s=0.02)
        seen = []
        async with client:
            await client.subscribe("orders")
            with pytest.raises(AuthError):
                async for item in client:
                    seen.append(item)

    assert subscribes == [[{"channel": "orders"}], [{"channel": "orders", "since": 6}], [{"channel": "orders", "since": 8}]]
    created = [item for item in seen if isinstance(item, events.OrderCreated)]
    assert [event.sequence for event in created] == [5, 6, 7, 8, 2001]
    assert created[0].price == Decimal("123456789012.12345678") and created[0].quantity == Decimal(1)
    resyncs = [item for item in seen if isinstance(item, ResyncRequired)]
    assert [(r.reason, r.sequence, r.hint) for r in resyncs] == [("window_exceeded", 2000, "reload")]
    assert isinstance(seen[-1], Disconnected) and seen[-1].retry_in_s is None
    assert client.connections == 3


async def test_requests_get_their_own_reply_and_those_waiting_when_the_connection_breaks_fail():
    connections = 0
    sent: list[dict] = []  # the requests as the server read them
    abandoned_heard = asyncio.Event()

    async def request_read(socket) -> dict:
        sent.append(json.loads(await socket.recv(), parse_float=Decimal))
        return sent[-1]

    async def reply(socket, answered: dict, kind: str, **fields) -> None:
        await socket.send(json.dumps({"type": kind, **fields, "correlation_id": answered["correlation_id"]}))

    async def gateway(socket):
        nonlocal connections
        connections += 1
        assert json.loads(await socket.recv())["type"] == "auth"
        await socket.send(json.dumps({"type": "auth_response", "status": "authenticated", "account_id": "acc_1"}))
        if connections > 1:
            await socket.wait_closed()
            return
        place = await request_read(socket)
        await socket.send(order(1))  # an event before the reply: the event is the iteration's, the reply the caller's
        await reply(socket, place, "order_accepted", request="place_order", order={"order_id": "ord_1"}, created=True)
        await reply(socket, await request_read(socket), "error", code="INVALID_REQUEST", message="Give either 'order_id' or "
                    "'client_order_id' (a string)", details={"field": "order_id"})
        abandoned = await request_read(socket)
        abandoned_heard.set()
        await request_read(socket)  # never answered: the connection closes first
        await reply(socket, abandoned, "order_accepted", request="cancel_all", cancelled=[], count=0)  # too late for its caller
        await socket.close()

    async with serve(gateway, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = Client(f"http://127.0.0.1:{port}", api_key=API_KEY, backoff_initial_s=0.01, backoff_max_s=0.02)
        seen: list = []
        async with client:
            items = aiter(client)
            await next_of(items, Connected, seen)
            accepted = await client.place_order(symbol="AAPL/USDC", side="buy", quantity=Decimal("1.10"),
                                                price=Decimal("123456789012.12345678"), client_order_id="bot-1")
            with pytest.raises(RequestError) as refused:
                await client.cancel_order("")
            abandoned = asyncio.create_task(client.cancel_all())
            await abandoned_heard.wait()
            abandoned.cancel()
            with pytest.raises(asyncio.CancelledError):
                await abandoned
            assert client._pending == {}  # the abandoned request let go of its future at once, not when a reply comes
            with pytest.raises(ConnectionLostError):
                await client.cancel_all_after(30)
            await next_of(items, Connected, seen)  # the client reconnects as after any break
        seen += [item async for item in items]  # after close(): everything the client queued

    assert (accepted["type"], accepted["order"], accepted["created"]) == ("order_accepted", {"order_id": "ord_1"}, True)
    assert (refused.value.code, refused.value.details) == ("INVALID_REQUEST", {"field": "order_id"})
    assert refused.value.message.startswith("Give either")
    place = {key: value for key, value in sent[0].items() if key != "correlation_id"}
    assert place == {"type": "place_order", "symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": Decimal("1.10"),
                     "price": Decimal("123456789012.12345678"), "client_order_id": "bot-1"}  # JSON numbers, every digit
    assert [request["type"] for request in sent] == ["place_order", "cancel_order", "cancel_all", "cancel_all_after"]
    assert len({request["correlation_id"] for request in sent}) == 4
    # Neither the replies, the error nor the late reply reached the iteration; the event did.
    assert [type(item) for item in seen if not isinstance(item, Connected | Disconnected)] == [events.OrderCreated]
    assert client._pending == {}  # nor does the lost one hold its future
