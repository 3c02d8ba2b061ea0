"""Sequence numbers: per stream from 1, no gaps, in order, and nothing from a rolled-back transaction."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from streams.models import StreamEvent
from streams.publishing import publish, stream_sequence
from streams.relay import wake
from tests.streams.sample_events import note_of, sample_event

pytestmark = pytest.mark.django_db(transaction=True)

apublish = sync_to_async(publish)


async def sequences(client, event_type: str, count: int) -> list[int]:
    return [(await client.wait_for(event_type))["sequence"] for _ in range(count)]


async def events(client, count: int) -> list[dict]:
    """The next `count` events, whatever their type."""
    got: list[dict] = []
    while len(got) < count:
        message = await client.next()
        if "sequence" in message:
            got.append(message)
    return got


async def test_each_stream_counts_from_one(authed, trader, other_trader, officer):
    client = await authed(officer)
    for user in (trader, other_trader):
        await client.request({"type": "subscribe", "channel": "orders", "account_id": user.account.id})
    await client.request({"type": "subscribe", "channel": "trades", "account_id": trader.account.id})
    for key, channel in ((trader.account.id, "orders"), (other_trader.account.id, "orders"), (trader.account.id, "trades")):
        for _ in range(2):
            await apublish(event=sample_event(channel, key, note=key), key=key)
    by_stream: dict[tuple, list[int]] = {}
    for event in await events(client, 6):
        by_stream.setdefault((event["channel"], note_of(event)), []).append(event["sequence"])
    assert list(by_stream.values()) == [[1, 2], [1, 2], [1, 2]]
    assert await sync_to_async(stream_sequence)(channel="orders", key=trader.account.id) == 2
    assert await sync_to_async(stream_sequence)(channel="settlements", key=trader.account.id) == 0


async def test_concurrent_publishers_leave_no_gap(authed, trader):
    client = await authed(trader)
    await client.request({"type": "subscribe", "channel": "orders"})
    account_id = trader.account.id

    def publish_many(worker: int) -> list[int]:
        return [publish(event=sample_event("orders", account_id, note=f"w{worker}"), key=account_id) for _ in range(10)]

    # Four threads, each with its own database connection, publishing at once.
    results = await asyncio.gather(*(sync_to_async(publish_many, thread_sensitive=False)(w) for w in range(4)))
    assert sorted(n for worker in results for n in worker) == list(range(1, 41))
    assert await sequences(client, "order_cancelled", 40) == list(range(1, 41))


async def test_a_rolled_back_transaction_publishes_nothing_and_leaves_no_gap(authed, trader):
    client = await authed(trader)
    await client.request({"type": "subscribe", "channel": "orders"})
    account_id = trader.account.id

    def publish_then_fail():
        with transaction.atomic():
            publish(event=sample_event("orders", account_id, note="lost"), key=account_id)
            raise RuntimeError("the change failed")

    def outer_commits_inner_rolls_back():
        with transaction.atomic():
            publish(event=sample_event("orders", account_id, note="kept 2"), key=account_id)
            try:
                with transaction.atomic():
                    publish(event=sample_event("orders", account_id, note="lost"), key=account_id)
                    raise RuntimeError("a savepoint fails")
            except RuntimeError:
                pass
            publish(event=sample_event("orders", account_id, note="kept 3"), key=account_id)

    await apublish(event=sample_event("orders", account_id, note="kept 1"), key=account_id)
    with pytest.raises(RuntimeError):
        await sync_to_async(publish_then_fail)()
    await sync_to_async(outer_commits_inner_rolls_back)()
    kept = await events(client, 3)
    assert [(e["reason"], e["sequence"]) for e in kept] == [("kept 1", 1), ("kept 2", 2), ("kept 3", 3)]
    assert not [m for m in client.received if m.get("reason") == "lost"]
    assert await sync_to_async(StreamEvent.objects.filter(stream__contains=account_id).count)() == 3


async def test_the_hub_fills_a_gap_from_the_event_log(authed, trader):
    client = await authed(trader)
    await client.request({"type": "subscribe", "channel": "orders"})
    account_id = trader.account.id
    await apublish(event=sample_event("orders", account_id), key=account_id)
    await client.wait_for("order_cancelled", sequence=1)

    def publish_two_and_lose_the_first():
        with transaction.atomic():
            publish(event=sample_event("orders", account_id), key=account_id)
            publish(event=sample_event("orders", account_id), key=account_id)
            # As if the channel layer had dropped event 2: the relay sends only event 3.
            StreamEvent.objects.filter(sequence=2, stream__contains=account_id).update(relayed=True)

    await sync_to_async(publish_two_and_lose_the_first)()
    assert await sequences(client, "order_cancelled", 2) == [2, 3]


async def test_the_hub_drops_an_event_it_delivered_already(authed, trader):
    client = await authed(trader)
    await client.request({"type": "subscribe", "channel": "orders"})
    account_id = trader.account.id
    await apublish(event=sample_event("orders", account_id), key=account_id)
    await client.wait_for("order_cancelled", sequence=1)

    # A second relay (another process) sends event 1 again, then event 2 arrives.
    await sync_to_async(StreamEvent.objects.filter(stream__contains=account_id).update)(relayed=False)
    wake()
    await apublish(event=sample_event("orders", account_id), key=account_id)
    await client.wait_for("order_cancelled", sequence=2)
    assert [m["sequence"] for m in client.received if m["type"] == "order_cancelled"] == [1, 2]
