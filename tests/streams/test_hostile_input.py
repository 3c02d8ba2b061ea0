"""Hostile input: every string is checked before use, batches and messages are bounded, and the socket stays."""

import pytest

from streams.protocol import MAX_DEPTH, MAX_STRING_CHARS, CloseCode
from tests.conftest import token_for
from tests.streams.wire import assert_error

pytestmark = pytest.mark.django_db(transaction=True)

SURROGATE = "\\ud800"  # as a client writes it in JSON: a lone surrogate once parsed


async def still_works(client) -> None:
    pong = await client.request({"type": "ping", "correlation_id": "alive"})
    assert pong["type"] == "pong" and pong["correlation_id"] == "alive"


def assert_invalid_field(reply, field: str, correlation_id=None) -> dict:
    details = assert_error(reply, "INVALID_REQUEST", correlation_id)
    assert details["field"] == field, details
    return details


# Messages as raw JSON text: the escapes reach the server as a client sends them.
BEFORE_AUTH = [
    ('{"type":"' + SURROGATE + '","correlation_id":"c"}', "type", "c"),
    ('{"type":"ping","correlation_id":"' + SURROGATE + '"}', "correlation_id", None),
    ('{"type":"auth","token":"' + SURROGATE + '","correlation_id":"c"}', "token", "c"),
    ('{"type":"auth","token":"Bearer ' + SURROGATE + '","correlation_id":"c"}', "token", "c"),
    ('{"type":"auth","api_key":"cdx_' + SURROGATE + '","correlation_id":"c"}', "api_key", "c"),
    ('{"type":"auth","api_key":"cdx_\\u0000","correlation_id":"c"}', "api_key", "c"),
    ('{"type":"ping","' + SURROGATE + '":1,"correlation_id":"c"}', "key", "c"),
    ('{"type":"auth","token":"' + "x" * (MAX_STRING_CHARS + 1) + '","correlation_id":"c"}', "token", "c"),
    ('{"type":"ping","correlation_id":"' + "x" * (MAX_STRING_CHARS + 1) + '"}', "correlation_id", None),
]
AFTER_AUTH = [
    ('{"type":"subscribe","channel":"' + SURROGATE + '","correlation_id":"c"}', "channel", "c"),
    ('{"type":"subscribe","channel":"market_data","symbols":["' + SURROGATE + '"],"correlation_id":"c"}', "symbols[0]", "c"),
    ('{"type":"subscribe","channel":"market_data","symbols":["AAPL/USDC"],"aggregation":"1s\\u0000"}', "aggregation", None),
    ('{"type":"subscribe","channels":[{"channel":"orders","account_id":"' + SURROGATE + '"}]}', "channels[0].account_id", None),
    ('{"type":"unsubscribe","channel":"market_data","symbols":["' + SURROGATE + '"]}', "symbols[0]", None),
    ('{"type":"subscribe","channel":"orders","note":"\\u0000"}', "note", None),
]


@pytest.mark.parametrize("text, field, correlation_id", BEFORE_AUTH)
async def test_unusable_strings_before_auth_are_invalid_requests_naming_the_field(ws, text, field, correlation_id):
    client = await ws()
    await client.send(text)
    assert_invalid_field(await client.next(), field, correlation_id)
    await still_works(client)


@pytest.mark.parametrize("text, field, correlation_id", BEFORE_AUTH + AFTER_AUTH)
async def test_unusable_strings_after_auth_are_invalid_requests_naming_the_field(
    authed, trader, markets, text, field, correlation_id
):
    client = await authed(trader)
    await client.send(text)
    assert_invalid_field(await client.next(), field, correlation_id)
    await still_works(client)


async def test_an_officer_asking_for_an_account_id_with_a_nul_is_refused_and_kept(authed, officer):
    client = await authed(officer)
    await client.send('{"type":"subscribe","channel":"orders","account_id":"acc_\\u0000","correlation_id":"n"}')
    details = assert_invalid_field(await client.next(), "account_id", "n")
    assert details["reason"] == "contains a NUL character"
    await still_works(client)


async def test_a_reply_never_echoes_an_unusable_correlation_id(ws, trader):
    client = await ws()
    await client.send('{"type":"auth","token":"' + token_for(trader) + '","correlation_id":"' + SURROGATE + '"}')
    assert "correlation_id" not in await client.next()


async def test_nesting_deeper_than_the_bound_is_an_invalid_request(authed, trader):
    client = await authed(trader)
    deep = '{"type":"ping","x":' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + ',"correlation_id":"d"}'
    details = assert_error(await client.request(deep), "INVALID_REQUEST", "d")
    assert details == {"reason": "too_deep", "max_depth": MAX_DEPTH}
    within = '{"type":"ping","x":' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    assert (await client.request(within))["type"] == "pong"


# Batches


async def test_a_batch_of_thousands_gets_replies_for_the_limit_and_one_error(authed, settings, trader):
    limit = settings.CDX_WS_MAX_SUBSCRIPTIONS
    client = await authed(trader)
    items = [{"channel": "orders"}] * 3000  # the probe: about as many as fit in 64 KiB
    await client.send({"type": "subscribe", "channels": items, "correlation_id": "b"})
    replies = []
    while not await client.nothing_more(0.3):
        replies.append(await client.next())
    assert len(replies) == limit + 1
    assert replies[0]["type"] == "subscription_response"
    assert all(r["code"] == "ALREADY_SUBSCRIBED" for r in replies[1:limit])
    details = assert_error(replies[-1], "SUBSCRIPTION_ERROR", "b")
    assert details == {"field": "channels", "reason": "subscription_limit", "limit": limit, "refused": 3000 - limit}


async def test_nothing_past_the_limit_of_a_batch_is_subscribed(authed, settings, trader):
    settings.CDX_WS_MAX_SUBSCRIPTIONS = 2
    client = await authed(trader)
    channels = [{"channel": c} for c in ("orders", "trades", "settlements", "account_notifications")]
    await client.send({"type": "subscribe", "channels": channels})
    replies = [await client.next() for _ in range(3)]
    assert [r.get("channel") for r in replies[:2]] == ["orders", "trades"]
    assert replies[2]["details"]["refused"] == 2
    assert await client.nothing_more()
    reply = await client.request({"type": "unsubscribe", "channel": "settlements"})
    assert_error(reply, "NOT_SUBSCRIBED")


# Message size


async def test_oversized_frames_count_against_the_rate_limit(authed, settings, trader):
    settings.CDX_WS_RATE_LIMIT_PER_S = 3  # the auth message takes one
    client = await authed(trader)
    settings.CDX_WS_MAX_MESSAGE_BYTES = 100
    for _ in range(2):
        assert_error(await client.request("x" * 200), "MESSAGE_SIZE_EXCEEDED")
    assert_error(await client.request({"type": "ping"}), "RATE_LIMITED")


async def test_a_message_far_over_the_limit_is_refused_and_the_socket_closed(authed, settings, trader):
    client = await authed(trader)
    settings.CDX_WS_MAX_MESSAGE_BYTES = 100
    settings.CDX_WS_CLOSE_MESSAGE_BYTES = 1000
    assert assert_error(await client.request("x" * 1000), "MESSAGE_SIZE_EXCEEDED") == {"size": 1000, "limit": 100}
    details = assert_error(await client.request("x" * 1001), "MESSAGE_SIZE_EXCEEDED")
    assert details == {"size": 1001, "limit": 100, "closing": True}
    assert await client.wait_closed() == CloseCode.MESSAGE_TOO_BIG == 4009
