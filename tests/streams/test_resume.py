"""Resume: `since` on subscribe replays what a client missed from the event log, or says why it cannot."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from streams.models import StreamEvent
from streams.publishing import publish
from streams.replay import event_log_prune
from tests.streams.sample_events import sample_event
from tests.streams.wire import assert_error

pytestmark = pytest.mark.django_db(transaction=True)


async def publish_orders(account_id: str, count: int) -> None:
    for n in range(count):
        await sync_to_async(publish)(event=sample_event("orders", account_id, note=str(n)), key=account_id)


async def test_missed_events_are_replayed_in_order_then_live_ones_follow(authed, trader):
    account_id = trader.account.id
    await publish_orders(account_id, 3)
    client = await authed(trader)
    reply = await client.request({"type": "subscribe", "channel": "orders", "since": 1, "correlation_id": "r"})
    assert reply["type"] == "subscription_response" and reply["recovered"] is True and reply["replayed"] == 2
    assert reply["correlation_id"] == "r"
    replayed = [await client.wait_for("order_cancelled") for _ in range(2)]
    assert [e["sequence"] for e in replayed] == [2, 3] and [e["reason"] for e in replayed] == ["1", "2"]
    await publish_orders(account_id, 1)
    live = await client.wait_for("order_cancelled")
    assert live["sequence"] == 4
    assert await client.nothing_more(), "no duplicate after the live event"


async def test_a_client_that_missed_nothing_recovers_with_nothing_to_replay(authed, trader):
    await publish_orders(trader.account.id, 2)
    client = await authed(trader)
    reply = await client.request({"type": "subscribe", "channel": "orders", "since": 2})
    assert reply["recovered"] is True and reply["replayed"] == 0
    await publish_orders(trader.account.id, 1)
    assert (await client.wait_for("order_cancelled"))["sequence"] == 3


async def test_beyond_the_replay_window_the_client_is_told_to_resync_and_gets_live_events(authed, trader, settings):
    settings.CDX_WS_REPLAY_MAX_EVENTS = 2
    await publish_orders(trader.account.id, 5)
    client = await authed(trader)
    reply = await client.request({"type": "subscribe", "channel": "orders", "since": 1})
    assert reply["recovered"] is False and reply["reason"] == "window_exceeded"
    assert reply["sequence"] == 5 and "REST" in reply["resync"]
    await publish_orders(trader.account.id, 1)
    assert (await client.wait_for("order_cancelled"))["sequence"] == 6


async def test_a_client_ahead_of_the_stream_is_told_so(authed, trader):
    await publish_orders(trader.account.id, 1)
    client = await authed(trader)
    reply = await client.request({"type": "subscribe", "channel": "orders", "since": 9})
    assert reply["recovered"] is False and reply["reason"] == "ahead" and reply["sequence"] == 1


async def test_pruned_events_cannot_be_replayed(authed, trader, settings):
    await publish_orders(trader.account.id, 3)
    old = timezone.now() - timedelta(seconds=settings.CDX_EVENT_LOG_RETENTION_S + 1)
    await sync_to_async(StreamEvent.objects.filter(sequence=2).update)(created_at=old, relayed=True)
    assert await sync_to_async(event_log_prune)() == 1
    client = await authed(trader)
    reply = await client.request({"type": "subscribe", "channel": "orders", "since": 1})
    assert reply["recovered"] is False and reply["reason"] == "window_exceeded"


@pytest.mark.parametrize("since", ["1", -1, True, 1.5, 2**64])
async def test_since_must_be_a_sequence_number(authed, trader, since):
    client = await authed(trader)
    details = assert_error(await client.request({"type": "subscribe", "channel": "orders", "since": since}), "INVALID_REQUEST")
    assert details["field"] == "since"
    assert (await client.request({"type": "subscribe", "channel": "orders"}))["status"] == "subscribed"


async def test_system_health_resumes_without_a_snapshot(authed, trader):
    await sync_to_async(publish)(event=sample_event("system_health", note="x"))
    await sync_to_async(publish)(event=sample_event("system_health", note="y"))
    client = await authed(trader)
    reply = await client.request({"type": "subscribe", "channel": "system_health", "since": 1})
    assert reply["recovered"] is True and reply["replayed"] == 1
    replayed = await client.next()
    assert replayed["message"] == "y" and replayed["sequence"] == 2 and "snapshot" not in replayed


async def test_market_data_ignores_since_and_sends_a_fresh_snapshot(authed, trader, markets):
    client = await authed(trader)
    reply = await client.request(
        {"type": "subscribe", "channel": "market_data", "symbols": ["AAPL/USDC"], "since": 5}
    )
    assert reply["status"] == "subscribed" and "recovered" not in reply
    snapshot = await client.next()
    assert snapshot.get("snapshot") is True
