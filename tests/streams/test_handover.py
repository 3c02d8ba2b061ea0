"""The relay's handover of a batch to the hubs (streams/layer_send.py) on a real channels-redis layer.

One group_send per run cost four Redis round trips, and each hub's receive of it more: with events on
many streams the relay and the hubs fell behind, and an event waited about a second for its socket.
"""

import asyncio
import uuid

import pytest
import redis.asyncio
from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer

from streams.hub import Hub, StreamState
from streams.layer_send import HUB_CHANNEL_PREFIX, send_runs

pytestmark = pytest.mark.redis

RECEIVE_TIMEOUT_S = 5.0


@pytest.fixture
async def layer(require_redis):
    made = RedisChannelLayer(
        hosts=[{"address": require_redis}],
        prefix=f"test-handover-{uuid.uuid4().hex[:8]}",  # nothing shared with another test run on this Redis
        capacity=1000,
        channel_capacity={"cdx.hub*": 100_000},
        expiry=60,
        group_expiry=86400,
    )
    yield made
    await made.flush()
    await made.close_pools()


async def receive(layer, channel: str) -> dict:
    async with asyncio.timeout(RECEIVE_TIMEOUT_S):
        return await layer.receive(channel)


def runs_of(message: dict) -> list:
    return [[stream, [list(event) for event in events]] for stream, events in message["runs"]]


async def test_each_hub_gets_a_batch_once_with_its_streams_runs_in_log_order(layer):
    first, second = await layer.new_channel(HUB_CHANNEL_PREFIX), await layer.new_channel(HUB_CHANNEL_PREFIX)
    for stream in ("cdx.orders.a", "cdx.trades.a"):
        await layer.group_add(stream, first)
    await layer.group_add("cdx.trades.a", second)
    await layer.group_add("cdx.orders.nobody-else", second)

    await send_runs(
        layer,
        [
            ("cdx.orders.a", [[1, "o1"], [2, "o2"]]),
            ("cdx.trades.a", [[1, "t1"]]),
            ("cdx.orders.unfollowed", [[1, "u1"]]),
            ("cdx.orders.a", [[3, "o3"]]),
        ],
    )
    await send_runs(layer, [("cdx.trades.a", [[2, "t2"]])])

    message = await receive(layer, first)
    assert message["type"] == "hub.runs"
    assert runs_of(message) == [
        ["cdx.orders.a", [[1, "o1"], [2, "o2"]]],
        ["cdx.trades.a", [[1, "t1"]]],
        ["cdx.orders.a", [[3, "o3"]]],
    ]
    assert runs_of(await receive(layer, first)) == [["cdx.trades.a", [[2, "t2"]]]]
    assert runs_of(await receive(layer, second)) == [["cdx.trades.a", [[1, "t1"]]]]
    assert runs_of(await receive(layer, second)) == [["cdx.trades.a", [[2, "t2"]]]]


async def test_a_hub_of_the_release_before_gets_one_hub_events_message_per_run_in_order(layer):
    # During a rolling upgrade: its channel is named as before, and it ignores a message type it does not know.
    old_hub, new_hub = await layer.new_channel("cdx.hub"), await layer.new_channel(HUB_CHANNEL_PREFIX)
    for stream in ("cdx.orders.a", "cdx.trades.a"):
        await layer.group_add(stream, old_hub)
        await layer.group_add(stream, new_hub)
    await send_runs(layer, [("cdx.orders.a", [[1, "o1"]]), ("cdx.trades.a", [[1, "t1"]]), ("cdx.orders.a", [[2, "o2"]])])
    received = [await receive(layer, old_hub) for _ in range(3)]
    assert [(m["type"], m["stream"], [list(e) for e in m["events"]]) for m in received] == [
        ("hub.events", "cdx.orders.a", [[1, "o1"]]),
        ("hub.events", "cdx.trades.a", [[1, "t1"]]),
        ("hub.events", "cdx.orders.a", [[2, "o2"]]),
    ]
    assert (await receive(layer, new_hub))["type"] == "hub.runs"


async def test_a_batch_costs_two_round_trips_whatever_its_number_of_runs(layer, monkeypatch):
    hub_channel = await layer.new_channel(HUB_CHANNEL_PREFIX)
    streams = [f"cdx.orders.acc{i}" for i in range(50)]
    for stream in streams:
        await layer.group_add(stream, hub_channel)
    round_trips = 0
    command, pipeline = redis.asyncio.Redis.execute_command, redis.asyncio.client.Pipeline.execute

    async def counted_command(self, *args, **options):
        nonlocal round_trips
        round_trips += 1
        return await command(self, *args, **options)

    async def counted_pipeline(self, *args, **options):
        nonlocal round_trips
        round_trips += 1
        return await pipeline(self, *args, **options)

    monkeypatch.setattr(redis.asyncio.Redis, "execute_command", counted_command)
    monkeypatch.setattr(redis.asyncio.client.Pipeline, "execute", counted_pipeline)
    # 200 runs, each stream's events interleaved with the others' (as orders on several accounts commit).
    await send_runs(layer, [(streams[i % 50], [[i // 50 + 1, f"e{i}"]]) for i in range(200)])
    assert round_trips == 2  # the groups' members, then every message queued (one Redis host)
    monkeypatch.undo()

    message = await receive(layer, hub_channel)
    assert len(message["runs"]) == 200
    assert [events[0][1] for _, events in message["runs"]] == [f"e{i}" for i in range(200)]


async def test_a_hub_delivers_the_runs_in_order_and_a_failed_run_stops_only_its_stream(monkeypatch):
    hub = Hub(InMemoryChannelLayer())
    delivered: list[tuple[str, list]] = []
    for stream in ("cdx.orders.a", "cdx.orders.b"):
        hub.streams[stream] = StreamState(stream, "orders")

    async def fan_out(state, events):
        if state.group == "cdx.orders.b" and events[0][0] == 1:
            raise RuntimeError("the log could not be read")
        delivered.append((state.group, [seq for seq, _ in events]))

    monkeypatch.setattr(hub, "_fan_out", fan_out)
    await hub._on_runs([["cdx.orders.a", [[1, "a1"]]], ["cdx.orders.b", [[1, "b1"]]], ["cdx.orders.a", [[2, "a2"], [3, "a3"]]]])
    assert delivered == [("cdx.orders.a", [1]), ("cdx.orders.a", [2, 3])]


async def test_other_layers_get_one_group_send_per_run():
    layer = InMemoryChannelLayer()
    channel = await layer.new_channel("cdx.hub")
    await layer.group_add("cdx.orders.a", channel)
    await send_runs(layer, [("cdx.orders.a", [[1, "o1"]]), ("cdx.orders.b", [[1, "x"]]), ("cdx.orders.a", [[2, "o2"]])])
    assert await layer.receive(channel) == {"type": "hub.events", "stream": "cdx.orders.a", "events": [[1, "o1"]]}
    assert await layer.receive(channel) == {"type": "hub.events", "stream": "cdx.orders.a", "events": [[2, "o2"]]}
