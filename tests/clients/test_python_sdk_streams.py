"""The Python SDK's stream bookkeeping against a scripted server (websockets, no daphne): duplicates dropped, a gap
reconnects with `since`, `recovered: false` asks the application to resync, close 4003 stops for good."""

import json
from decimal import Decimal

import pytest
from cantondex_client import AuthError, Client, Disconnected, ResyncRequired, events
from websockets.asyncio.server import serve

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
