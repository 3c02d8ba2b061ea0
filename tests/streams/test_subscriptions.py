"""subscribe / unsubscribe on all seven channels: parameters, permissions, batches and snapshots."""

import pytest
from asgiref.sync import sync_to_async

from accounts.roles import ADMIN, COMPLIANCE, TRADER
from streams import registry
from streams.events import Event
from streams.publishing import publish, stream_sequence
from tests.streams.sample_events import SAMPLE_TYPES, sample_event
from tests.streams.wire import ISO_UTC, assert_error, next_reply

pytestmark = pytest.mark.django_db(transaction=True)

ACCOUNT_CHANNELS = {
    "orders": "order updates",
    "trades": "trade updates",
    "settlements": "settlement updates",
    "account_notifications": "account notifications",
}
UNKNOWN_ACCOUNT = "acc_00000000deadbeef"

apublish = sync_to_async(publish)


async def subscribed(client, correlation_id=None, **request) -> dict:
    message = {"type": "subscribe", **request}
    if correlation_id is not None:
        message["correlation_id"] = correlation_id
    await client.send(message)
    reply = await next_reply(client)
    assert reply["type"] == "subscription_response" and reply["status"] == "subscribed", reply
    assert ISO_UTC.match(reply["timestamp"])
    return reply


async def assert_not_delivered(client, channel: str, key: str) -> None:
    """Publishes on (channel, key) and then on system_health: the second arriving alone proves the first was not sent."""
    start = len(client.received)
    await apublish(event=sample_event(channel, key), key=key)
    await apublish(event=sample_event("system_health", note="sentinel"))
    await client.wait_for("service_degraded", message="sentinel")
    assert not [m for m in client.received[start:] if m.get("channel") == channel]


@pytest.mark.parametrize("channel", ACCOUNT_CHANNELS)
async def test_account_channel_lifecycle(authed, trader, channel):
    client = await authed(trader)
    account_id = trader.account.id
    reply = await subscribed(client, "s1", channel=channel, account_id=account_id)
    assert reply == {
        "type": "subscription_response",
        "channel": channel,
        "account_id": account_id,
        "status": "subscribed",
        "message": f"Now receiving {ACCOUNT_CHANNELS[channel]}",
        "timestamp": reply["timestamp"],
        "correlation_id": "s1",
    }
    await apublish(event=sample_event(channel, account_id), key=account_id)
    event = await client.wait_for(SAMPLE_TYPES[channel][0])
    assert event["channel"] == channel and event["sequence"] == 1 and ISO_UTC.match(event["timestamp"])

    reply = await client.request(
        {"type": "unsubscribe", "channel": channel, "account_id": account_id, "correlation_id": "u1"}
    )
    assert reply == {
        "type": "unsubscribe_response",
        "channel": channel,
        "account_id": account_id,
        "status": "unsubscribed",
        "message": f"No longer receiving {ACCOUNT_CHANNELS[channel]}",
        "timestamp": reply["timestamp"],
        "correlation_id": "u1",
    }
    await subscribed(client, channel="system_health")
    await assert_not_delivered(client, channel, account_id)


async def test_account_id_defaults_to_the_callers_own_account(authed, trader):
    client = await authed(trader)
    reply = await subscribed(client, channel="orders")
    assert reply["account_id"] == trader.account.id
    reply = await client.request({"type": "unsubscribe", "channel": "orders"})
    assert reply["type"] == "unsubscribe_response" and reply["account_id"] == trader.account.id


@pytest.mark.parametrize("channel", ACCOUNT_CHANNELS)
async def test_a_trader_may_not_follow_another_account(authed, trader, other_trader, channel):
    client = await authed(trader)
    for account_id in (other_trader.account.id, UNKNOWN_ACCOUNT):  # existing or not: no probing
        reply = await client.request(
            {"type": "subscribe", "channel": channel, "account_id": account_id, "correlation_id": "x"}
        )
        details = assert_error(reply, "INSUFFICIENT_PERMISSIONS", "x")
        assert details == {"channel": channel, "reason": "not_your_account"}


@pytest.fixture
def user_with_role(request, make_user):
    return make_user(request.param)


@pytest.mark.parametrize("user_with_role", [COMPLIANCE, ADMIN], indirect=True)
async def test_officers_and_administrators_follow_any_account(authed, trader, user_with_role):
    client = await authed(user_with_role)
    for channel in ACCOUNT_CHANNELS:
        assert (await subscribed(client, channel=channel, account_id=trader.account.id))["account_id"] == trader.account.id
    await apublish(event=sample_event("trades", trader.account.id), key=trader.account.id)
    assert (await client.wait_for("trade_cancelled"))["channel"] == "trades"

    reply = await client.request({"type": "subscribe", "channel": "orders", "account_id": UNKNOWN_ACCOUNT})
    details = assert_error(reply, "SUBSCRIPTION_ERROR")
    assert details == {"channel": "orders", "reason": "unknown_account", "account_id": UNKNOWN_ACCOUNT}

    details = assert_error(await client.request({"type": "subscribe", "channel": "orders"}), "INVALID_REQUEST")
    assert details == {"field": "account_id"}  # they have no account of their own to default to


@pytest.mark.parametrize("account_id", [5, "", ["acc_1"], {"id": 1}, "a" * 65, True])
async def test_a_malformed_account_id_is_an_invalid_request(authed, trader, account_id):
    client = await authed(trader)
    reply = await client.request({"type": "subscribe", "channel": "orders", "account_id": account_id})
    assert assert_error(reply, "INVALID_REQUEST") == {"field": "account_id"}


async def test_market_data_subscribe_and_unsubscribe(authed, trader, markets):
    client = await authed(trader)
    reply = await subscribed(client, "m", channel="market_data", symbols=markets, aggregation="raw")
    assert reply == {
        "type": "subscription_response",
        "channel": "market_data",
        "symbols": markets,
        "aggregation": "raw",
        "status": "subscribed",
        "message": "Now receiving market data",
        "timestamp": reply["timestamp"],
        "correlation_id": "m",
    }
    for symbol in markets:
        await apublish(event=sample_event("market_data", symbol), key=symbol)
        event = await client.wait_for("price_update", symbol=symbol, sequence=1)  # after the snapshot's
        assert event["channel"] == "market_data" and "snapshot" not in event

    reply = await client.request({"type": "unsubscribe", "channel": "market_data", "symbols": [markets[0]]})
    assert reply["type"] == "unsubscribe_response" and reply["symbols"] == [markets[0]]
    assert reply["message"] == "No longer receiving market data"
    await subscribed(client, channel="system_health")
    await assert_not_delivered(client, "market_data", markets[0])

    # Without symbols, unsubscribe drops every symbol still followed.
    reply = await client.request({"type": "unsubscribe", "channel": "market_data"})
    assert reply["type"] == "unsubscribe_response" and reply["status"] == "unsubscribed"
    assert_error(await client.request({"type": "unsubscribe", "channel": "market_data"}), "NOT_SUBSCRIBED")


async def test_market_data_defaults_to_raw_accepts_one_symbol_and_drops_duplicates(authed, officer, markets):
    client = await authed(officer)  # any user, with or without an account
    reply = await subscribed(client, channel="market_data", symbols=[markets[0], markets[0]])
    assert reply["symbols"] == [markets[0]] and reply["aggregation"] == "raw"
    reply = await subscribed(client, channel="market_data", symbol=markets[1], aggregation="1s")
    assert reply["symbols"] == [markets[1]] and reply["aggregation"] == "1s"


async def test_market_data_symbols_must_exist(authed, trader, markets):
    client = await authed(trader)
    reply = await client.request({"type": "subscribe", "channel": "market_data", "symbols": [markets[0], "NOPE/USDC"]})
    details = assert_error(reply, "SUBSCRIPTION_ERROR")
    assert details == {"channel": "market_data", "reason": "unknown_symbol", "symbols": ["NOPE/USDC"]}
    # Nothing was subscribed: the valid symbol is still free.
    await subscribed(client, channel="market_data", symbols=[markets[0]])


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "symbols"),
        ({"symbols": "AAPL/USDC"}, "symbols"),
        ({"symbols": []}, "symbols"),
        ({"symbols": [1]}, "symbols"),
        ({"symbols": ["S" * 33]}, "symbols"),
        ({"symbols": [f"S{i}/USDC" for i in range(21)]}, "symbols"),
        ({"symbols": ["AAPL/USDC"], "aggregation": "5s"}, "aggregation"),
        ({"symbols": ["AAPL/USDC"], "aggregation": 1}, "aggregation"),
    ],
)
async def test_market_data_parameters_are_validated(authed, trader, markets, params, field):
    client = await authed(trader)
    reply = await client.request({"type": "subscribe", "channel": "market_data", **params})
    assert assert_error(reply, "INVALID_REQUEST") == {"field": field}


async def test_compliance_events_are_for_officers_and_administrators(authed, trader, officer, administrator):
    denied = await authed(trader)
    reply = await denied.request({"type": "subscribe", "channel": "compliance_events", "correlation_id": 1})
    assert assert_error(reply, "INSUFFICIENT_PERMISSIONS", 1) == {"channel": "compliance_events", "reason": "role_required"}

    clients = [await authed(officer), await authed(administrator)]
    for client in clients:
        reply = await subscribed(client, channel="compliance_events")
        assert reply["channel"] == "compliance_events" and reply["message"] == "Now receiving compliance events"
    await apublish(event=sample_event("compliance_events"))
    for client in clients:
        assert (await client.wait_for("suspicious_activity_detected"))["sequence"] == 1


@pytest.mark.parametrize("user_with_role", [TRADER, COMPLIANCE, ADMIN], indirect=True)
async def test_system_health_is_for_everyone(authed, user_with_role):
    client = await authed(user_with_role)
    reply = await subscribed(client, channel="system_health")
    assert set(reply) == {"type", "channel", "status", "message", "timestamp"}
    await apublish(event=sample_event("system_health"))
    assert (await client.wait_for("service_degraded"))["channel"] == "system_health"


BROADCASTS = {"compliance_events": "compliance events", "system_health": "system health updates"}


@pytest.mark.parametrize("channel", BROADCASTS)
async def test_unsubscribe_from_a_broadcast_channel(authed, officer, channel):
    (other,) = set(BROADCASTS) - {channel}  # stays subscribed: its sentinel proves the order
    client = await authed(officer)
    await subscribed(client, channel=channel)
    await subscribed(client, channel=other)
    await client.send({"type": "unsubscribe", "channel": channel, "correlation_id": "bye"})
    reply = await next_reply(client)
    assert reply == {
        "type": "unsubscribe_response",
        "channel": channel,
        "status": "unsubscribed",
        "message": f"No longer receiving {BROADCASTS[channel]}",
        "timestamp": reply["timestamp"],
        "correlation_id": "bye",
    }
    start = len(client.received)
    await apublish(event=sample_event(channel))
    await apublish(event=sample_event(other))
    await client.wait_for(SAMPLE_TYPES[other][0])
    assert not [m for m in client.received[start:] if m.get("channel") == channel]


async def test_batch_subscribe_answers_each_item_and_keeps_the_good_ones(authed, trader, other_trader, markets):
    client = await authed(trader)
    await client.send(
        {
            "type": "subscribe",
            "correlation_id": "batch",
            "channels": [
                {"channel": "orders", "account_id": trader.account.id},
                {"channel": "trades", "account_id": other_trader.account.id},
                {"channel": "market_data", "symbols": markets, "aggregation": "100ms"},
                {"channel": "nope"},
                {"channel": "system_health"},
            ],
        }
    )
    replies = [await next_reply(client) for _ in range(5)]
    assert [(r["type"], r.get("channel") or r["details"].get("channel")) for r in replies] == [
        ("subscription_response", "orders"),
        ("error", "trades"),
        ("subscription_response", "market_data"),
        ("error", "nope"),
        ("subscription_response", "system_health"),
    ]
    assert all(r["correlation_id"] == "batch" for r in replies)
    assert replies[1]["code"] == "INSUFFICIENT_PERMISSIONS" and replies[3]["code"] == "INVALID_CHANNEL"
    await apublish(event=sample_event("orders", trader.account.id), key=trader.account.id)
    assert (await client.wait_for("order_cancelled"))["sequence"] == 1


@pytest.mark.parametrize("channels", [[], "orders", [1], [{"channel": "orders"}, "x"], {"channel": "orders"}])
async def test_a_malformed_batch_is_an_invalid_request(authed, trader, channels):
    client = await authed(trader)
    reply = await client.request({"type": "subscribe", "channels": channels})
    assert assert_error(reply, "INVALID_REQUEST") == {"field": "channels"}


async def test_already_subscribed(authed, trader, markets):
    client = await authed(trader)
    await subscribed(client, channel="orders")
    reply = await client.request({"type": "subscribe", "channel": "orders", "correlation_id": "again"})
    details = assert_error(reply, "ALREADY_SUBSCRIBED", "again")
    assert details == {"channel": "orders", "account_id": trader.account.id}

    await subscribed(client, channel="market_data", symbols=[markets[0]])
    # Overlapping symbols, and the same symbol at another aggregation, are one stream already followed.
    for aggregation in ("raw", "1s"):
        await client.send({"type": "subscribe", "channel": "market_data", "symbols": markets, "aggregation": aggregation})
        assert assert_error(await next_reply(client), "ALREADY_SUBSCRIBED")["channel"] == "market_data"


async def test_not_subscribed(authed, trader, other_trader, markets):
    client = await authed(trader)
    for request in (
        {"channel": "orders"},
        {"channel": "orders", "account_id": other_trader.account.id},
        {"channel": "market_data", "symbols": markets},
        {"channel": "system_health"},
    ):
        reply = await client.request({"type": "unsubscribe", "correlation_id": "n", **request})
        assert assert_error(reply, "NOT_SUBSCRIBED", "n")["channel"] == request["channel"]


@pytest.mark.parametrize("channel", ["nope", "", 5, None, ["orders"]])
async def test_invalid_channel(authed, trader, channel):
    client = await authed(trader)
    for message_type in ("subscribe", "unsubscribe"):
        reply = await client.request({"type": message_type, "channel": channel, "correlation_id": "ic"})
        details = assert_error(reply, "INVALID_CHANNEL", "ic")
        assert details["channel"] == (channel if isinstance(channel, str) else None)
        assert set(details["available"]) == {*ACCOUNT_CHANNELS, "market_data", "compliance_events", "system_health", "auction", "bids", "settlement"}


class State(Event, type="state", channel="test_snapshot"):
    value: int


class StateDetail(Event, type="state_detail", channel="test_snapshot"):
    value: str


class Changed(Event, type="changed", channel="test_snapshot"):
    value: int


@pytest.fixture
def snapshot_channel():
    """A channel with a snapshot provider, the way domain apps declare one."""
    state = {"events": [State(value=0)]}

    def snapshot(key):
        return list(state["events"]), stream_sequence(channel="test_snapshot", key=key)

    registry.register(registry.broadcast_channel("test_snapshot", "test state", snapshot=snapshot))
    yield state
    registry._channels.pop("test_snapshot")


async def test_snapshot_on_subscribe_then_live_events_in_sequence(authed, trader, snapshot_channel):
    for value in (1, 2):
        await apublish(event=Changed(value=value))
    snapshot_channel["events"] = [State(value=2), StateDetail(value="b")]

    client = await authed(trader)
    await subscribed(client, channel="test_snapshot")
    first, second = await client.next(), await client.next()
    for message, expected_type in ((first, "state"), (second, "state_detail")):
        assert message["type"] == expected_type and message["snapshot"] is True
        assert message["channel"] == "test_snapshot" and message["sequence"] == 2  # the state as of event 2
        assert ISO_UTC.match(message["timestamp"])

    await apublish(event=Changed(value=3))
    live = await client.wait_for("changed")
    assert live["sequence"] == 3 and "snapshot" not in live
    assert [m["type"] for m in client.received[-3:]] == ["state", "state_detail", "changed"]
