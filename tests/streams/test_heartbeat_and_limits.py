"""Heartbeats and every protocol limit, each with a small setting."""

import asyncio

import pytest

from streams.protocol import CloseCode
from tests.conftest import token_for
from tests.streams.wire import ISO_UTC, assert_error, next_reply

pytestmark = pytest.mark.django_db(transaction=True)


# Heartbeat


async def test_the_server_pings_and_a_pong_keeps_the_connection(authed, settings, trader):
    settings.CDX_WS_PING_INTERVAL_S = 0.2
    client = await authed(trader)
    for _ in range(3):  # three intervals: without the pongs the second would close it
        ping = await client.wait_for("ping", timeout=1)
        assert set(ping) == {"type", "timestamp"} and ISO_UTC.match(ping["timestamp"])
        await client.send({"type": "pong", "timestamp": ping["timestamp"]})
    assert (await client.request({"type": "ping"}))["type"] == "pong"


async def test_any_client_message_counts_as_a_sign_of_life(authed, settings, trader):
    settings.CDX_WS_PING_INTERVAL_S = 0.2
    client = await authed(trader)
    for _ in range(3):
        await client.wait_for("ping", timeout=1)
        await client.send({"type": "ping"})
    await client.wait_for("pong")


async def test_silence_after_a_ping_closes_the_connection(authed, settings, trader):
    settings.CDX_WS_PING_INTERVAL_S = 0.2
    client = await authed(trader)
    await client.wait_for("ping", timeout=1)
    error = await client.wait_for("error", timeout=1)
    assert assert_error(error, "CONNECTION_CLOSED") == {"reason": "heartbeat_timeout", "closing": True}
    assert await client.wait_closed() == CloseCode.TIMEOUT


async def test_client_ping_gets_a_pong(ws):
    client = await ws()  # allowed before authentication too
    pong = await client.request({"type": "ping", "timestamp": "2024-11-17T17:05:00Z", "correlation_id": "hb"})
    assert set(pong) == {"type", "timestamp", "correlation_id"} and ISO_UTC.match(pong["timestamp"])


# Connections per account


async def test_the_eleventh_connection_of_an_account_is_refused(authed, ws, trader):
    clients = [await authed(trader) for _ in range(10)]
    extra = await ws()
    error = await extra.request({"type": "auth", "token": token_for(trader), "correlation_id": "11"})
    assert assert_error(error, "CONNECTION_LIMIT", "11") == {"limit": 10, "closing": True}
    assert await extra.wait_closed() == CloseCode.CONNECTION_LIMIT

    await clients[0].close()  # a closed connection frees its place
    await authed(trader)


async def test_unauthenticated_connections_do_not_count(authed, ws, settings, trader):
    settings.CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT = 2
    for _ in range(3):
        await ws()
    await authed(trader)
    await authed(trader)


async def test_the_limit_is_per_account_and_per_user_without_one(authed, ws, settings, trader, other_trader, officer):
    settings.CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT = 2
    for user in (trader, officer):
        await authed(user)
        await authed(user)
        extra = await ws()
        assert_error(await extra.request({"type": "auth", "token": token_for(user)}), "CONNECTION_LIMIT")
        assert await extra.wait_closed() == CloseCode.CONNECTION_LIMIT
    await authed(other_trader)  # other accounts are not affected


async def test_reauth_on_the_same_socket_does_not_take_another_place(authed, settings, trader):
    settings.CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT = 1
    client = await authed(trader)
    for _ in range(3):
        assert (await client.request({"type": "auth", "token": token_for(trader)}))["status"] == "authenticated"


# Message rate


async def test_messages_over_the_rate_are_refused_with_retry_after(ws, settings):
    settings.CDX_WS_RATE_LIMIT_PER_S = 5
    client = await ws()  # the bucket starts full: a burst of 5 passes
    for n in range(8):
        await client.send({"type": "ping", "correlation_id": n})
    replies = [await client.next() for _ in range(8)]
    assert [r["type"] for r in replies[:5]] == ["pong"] * 5
    assert replies[-1]["type"] == "error"
    for error in replies[5:]:
        if error["type"] == "pong":  # a slow machine may refill a token during the burst
            continue
        details = assert_error(error, "RATE_LIMITED")
        assert details["limit_per_s"] == 5 and 0 < details["retry_after_ms"] <= 200

    await asyncio.sleep(replies[-1]["details"]["retry_after_ms"] / 1000)  # the wait the server asked for
    assert (await client.request({"type": "ping"}))["type"] == "pong"


# Message size


async def test_oversized_messages_are_refused_and_the_connection_stays(authed, settings, trader):
    settings.CDX_WS_MAX_MESSAGE_BYTES = 1024
    client = await authed(trader)
    big = '{"type":"ping","pad":"' + "x" * 1100 + '"}'
    details = assert_error(await client.request(big), "MESSAGE_SIZE_EXCEEDED")
    assert details == {"size": len(big), "limit": 1024}

    await client.send_bytes(b"x" * 2000)
    assert assert_error(await client.next(), "MESSAGE_SIZE_EXCEEDED") == {"size": 2000, "limit": 1024}

    # The limit is in bytes: 400 euro signs are 1200 bytes of UTF-8.
    wide = '{"type":"ping","pad":"' + "€" * 400 + '"}'
    assert assert_error(await client.request(wide), "MESSAGE_SIZE_EXCEEDED")["size"] == len(wide.encode())
    assert (await client.request('{"type":"ping","pad":"' + "€" * 300 + '"}'))["type"] == "pong"
    assert (await client.request({"type": "ping"}))["type"] == "pong"


async def test_the_default_limit_is_64_kib(authed, trader):
    client = await authed(trader)
    padding = 64 * 1024 - len('{"type":"ping"}')  # whitespace: no string may be that long
    assert (await client.request('{"type":"ping"' + " " * padding + "}"))["type"] == "pong"
    error = await client.request('{"type":"ping"' + " " * (padding + 1) + "}")
    assert assert_error(error, "MESSAGE_SIZE_EXCEEDED")["limit"] == 64 * 1024


# Subscriptions per connection


async def test_subscriptions_per_connection(authed, settings, trader, markets):
    settings.CDX_WS_MAX_SUBSCRIPTIONS = 3
    client = await authed(trader)
    await client.request({"type": "subscribe", "channel": "orders"})
    await client.send({"type": "subscribe", "channel": "market_data", "symbols": markets})  # two streams
    assert (await next_reply(client))["status"] == "subscribed"
    await client.send({"type": "subscribe", "channel": "trades", "correlation_id": "4th"})
    details = assert_error(await next_reply(client), "SUBSCRIPTION_ERROR", "4th")
    assert details == {"channel": "trades", "reason": "subscription_limit", "limit": 3}

    await client.request({"type": "unsubscribe", "channel": "orders"})
    assert (await client.request({"type": "subscribe", "channel": "trades"}))["status"] == "subscribed"


async def test_a_batch_over_the_limit_keeps_the_items_that_fit(authed, settings, trader):
    settings.CDX_WS_MAX_SUBSCRIPTIONS = 2
    client = await authed(trader)
    await client.send(
        {"type": "subscribe", "channels": [{"channel": c} for c in ("orders", "trades", "settlements")]}
    )
    replies = [await next_reply(client) for _ in range(3)]
    assert [r["type"] for r in replies] == ["subscription_response", "subscription_response", "error"]
    assert replies[2]["details"]["reason"] == "subscription_limit"


# Idle connections


async def test_an_authenticated_connection_without_subscriptions_is_closed(authed, settings, trader):
    settings.CDX_WS_IDLE_TIMEOUT_S = 0.3
    client = await authed(trader)
    error = await client.wait_for("error", timeout=2)
    assert assert_error(error, "CONNECTION_CLOSED") == {"reason": "idle_timeout", "closing": True}
    assert await client.wait_closed() == CloseCode.TIMEOUT


async def test_a_subscription_stops_the_idle_clock_and_unsubscribing_restarts_it(authed, settings, trader):
    settings.CDX_WS_IDLE_TIMEOUT_S = 0.3
    client = await authed(trader)
    await client.request({"type": "subscribe", "channel": "orders"})
    assert await client.nothing_more(0.5)
    await client.request({"type": "unsubscribe", "channel": "orders"})
    error = await client.wait_for("error", timeout=2)
    assert assert_error(error, "CONNECTION_CLOSED")["reason"] == "idle_timeout"



async def test_stop_hub_drops_the_loops_connection_counter(authed, trader):
    """Each event loop has its own counter (a Redis client belongs to one loop); it goes with the loop's hub."""
    from streams.hub import stop_hub
    from streams.limits import _counters

    client = await authed(trader)
    loop = asyncio.get_running_loop()
    assert loop in _counters
    await client.close()
    await stop_hub()
    assert loop not in _counters
