"""Bad input gets a clear error in the seed's format, and the connection keeps working."""

import pytest

from tests.streams.wire import ISO_UTC, assert_error

pytestmark = pytest.mark.django_db(transaction=True)

NESTED = '{"type":"ping","x":' + "[" * 20_000 + "]" * 20_000 + "}"


async def still_works(client) -> None:
    pong = await client.request({"type": "ping", "correlation_id": "alive"})
    assert pong["type"] == "pong" and pong["correlation_id"] == "alive"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("{", {"reason"}),
        ("not json", {"reason"}),
        ('{"type": "ping",}', {"reason"}),
        ("[1, 2]", set()),
        ("42", set()),
        ('"ping"', set()),
        ("null", set()),
        ("{}", {"field"}),
        ('{"type": 5}', {"field"}),
        ('{"type": null}', {"field"}),
        ('{"type": ["ping"]}', {"field"}),
        ('{"type": "ping", "n": ' + "9" * 5000 + "}", {"reason"}),
        (NESTED, {"reason", "max_depth"}),
    ],
    ids=[
        "truncated", "text", "trailing-comma", "array", "number", "string", "null",
        "no-type", "int-type", "null-type", "list-type", "huge-integer", "deeply-nested",
    ],
)
async def test_malformed_messages_are_invalid_requests(authed, trader, text, expected):
    client = await authed(trader)
    await client.send(text)
    details = assert_error(await client.next(), "INVALID_REQUEST")
    assert set(details) == expected
    await still_works(client)


async def test_malformed_messages_before_auth_are_invalid_requests_too(ws):
    client = await ws()
    await client.send("{")
    assert_error(await client.next(), "INVALID_REQUEST")
    await still_works(client)


async def test_binary_frames_are_refused(authed, trader):
    client = await authed(trader)
    await client.send_bytes(b'{"type": "ping"}')
    error = await client.next()
    assert_error(error, "INVALID_REQUEST")
    assert "text" in error["message"]
    await still_works(client)


async def test_unknown_message_types_are_invalid_requests(authed, trader):
    client = await authed(trader)
    reply = await client.request({"type": "order_place", "correlation_id": "u"})
    assert assert_error(reply, "INVALID_REQUEST", "u") == {"type": "order_place"}
    await still_works(client)


async def test_a_message_without_a_type_still_gets_its_correlation_id(authed, trader):
    client = await authed(trader)
    reply = await client.request({"correlation_id": "no-type"})
    assert assert_error(reply, "INVALID_REQUEST", "no-type") == {"field": "type"}


async def test_huge_numbers_in_fields_are_refused_not_crashed_on(authed, trader):
    client = await authed(trader)
    reply = await client.request('{"type": "subscribe", "channel": "orders", "account_id": 1e999999999}')
    assert assert_error(reply, "INVALID_REQUEST") == {"field": "account_id"}
    reply = await client.request('{"type": "subscribe", "channel": "market_data", "symbols": [-1E+400]}')
    assert assert_error(reply, "INVALID_REQUEST") == {"field": "symbols"}
    await still_works(client)


@pytest.mark.parametrize(
    "correlation_id, echoed",
    [
        ("abc", True),
        ("x" * 128, True),
        (0, True),
        (2**63 - 1, True),
        ("x" * 129, False),
        (2**63, False),
        (True, False),
        (1.5, False),
        ({"id": 1}, False),
        ([1], False),
    ],
    ids=["string", "longest", "zero", "largest-int", "too-long", "too-big", "bool", "float", "object", "list"],
)
async def test_correlation_id_is_echoed_when_it_is_a_sane_string_or_integer(ws, correlation_id, echoed):
    client = await ws()
    pong = await client.request({"type": "ping", "correlation_id": correlation_id})
    assert pong["type"] == "pong"
    assert pong.get("correlation_id", "absent") == (correlation_id if echoed else "absent")


async def test_every_direct_reply_echoes_the_correlation_id(ws, trader):
    from tests.conftest import token_for

    client = await ws()
    replies = [
        await client.request({"type": "auth", "token": "bad", "correlation_id": 1}),
        await client.request({"type": "auth", "token": token_for(trader), "correlation_id": 2}),
        await client.request({"type": "subscribe", "channel": "orders", "correlation_id": 3}),
        await client.request({"type": "subscribe", "channel": "orders", "correlation_id": 4}),
        await client.request({"type": "unsubscribe", "channel": "orders", "correlation_id": 5}),
        await client.request({"type": "ping", "correlation_id": 6}),
    ]
    assert [(r["type"], r["correlation_id"]) for r in replies] == [
        ("auth_response", 1),
        ("auth_response", 2),
        ("subscription_response", 3),
        ("error", 4),
        ("unsubscribe_response", 5),
        ("pong", 6),
    ]
    assert all(ISO_UTC.match(r["timestamp"]) for r in replies)
    # Without a correlation_id, replies carry none.
    assert "correlation_id" not in await client.request({"type": "ping"})
