"""The relay's handover of one batch to the hubs, in as few channel-layer round trips as the layer allows.

On the Redis layer, one group_send costs four round trips (expire the group, read its members,
expire their queues, queue the message) and each hub's receive two more, every one of them waiting
for a turn of the gateway's busy event loop. One group_send per run of a stream made the relay a few
hundred runs a second under load, and the hubs as many: with traffic on many streams (an order
touches its owner's and its counterparty's orders and trades streams) the handover fell behind and
every event waited about a second.

So on a channels-redis layer the relay reads every stream group's members in one pipeline per
Redis host, and queues one `hub.runs` message per hub channel, holding that hub's runs in the
batch's order, with one script per host: the same queues, capacities and expiries channels-redis's
group_send uses. A hub receives a batch once. A hub of an older release (its channel named without
HUB_CHANNEL_PREFIX: it knows only `hub.events`), met during a rolling upgrade, gets one `hub.events`
message per run, in the same script. Any other layer (the in-process one: no round trips) gets one
`hub.events` group_send per run, as before.
"""

import logging
import time
from collections import defaultdict

log = logging.getLogger(__name__)

HUB_CHANNEL_PREFIX = "cdx.hub.runs"  # the channel name of a hub that takes `hub.runs` (within the layer's "cdx.hub*" capacity)

Runs = list[tuple[str, list[list]]]  # (stream, [[sequence, text], ...]) in log order

# For each queue in turn (a key comes once per message, in order): drop its expired messages, then
# add the message unless the queue is full, as channels-redis's group_send does. ARGV: the
# messages, their capacities, then the first score, the step between scores, the key expiry in
# seconds and the score below which messages have expired.
_QUEUE_ALL = """
local n = #KEYS
local first, step = tonumber(ARGV[2 * n + 1]), tonumber(ARGV[2 * n + 2])
local expiry, expired = ARGV[2 * n + 3], ARGV[2 * n + 4]
local over_capacity = 0
for i = 1, n do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, expired)
    if redis.call('ZCARD', KEYS[i]) < tonumber(ARGV[n + i]) then
        redis.call('ZADD', KEYS[i], first + (i - 1) * step, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""

# Scores are epoch seconds (a receiver pops the lowest first); doubles near today's epoch are about
# 2.4e-7 apart, so messages queued by one script keep their order.
SCORE_STEP = 1e-6


def _redis_layer(layer) -> bool:
    from channels_redis.core import RedisChannelLayer

    return isinstance(layer, RedisChannelLayer)


async def send_runs(layer, runs: Runs) -> None:
    """Hand `runs` to every hub following their streams; each hub gets them in this order."""
    if not _redis_layer(layer):
        for stream, events in runs:
            await layer.group_send(stream, {"type": "hub.events", "stream": stream, "events": events})
        return
    members = await _members(layer, list(dict.fromkeys(stream for stream, _ in runs)))
    per_channel: dict[str, Runs] = defaultdict(list)
    for stream, events in runs:
        for channel in members[stream]:
            per_channel[channel].append((stream, events))
    queued: dict[int, list[tuple[str, bytes, int]]] = defaultdict(list)  # Redis host -> (key, message, capacity)
    for channel, its_runs in per_channel.items():
        local = layer.non_local_name(channel) if "!" in channel else channel
        if channel.startswith(HUB_CHANNEL_PREFIX + "."):
            messages = [{"type": "hub.runs", "runs": its_runs}]
        else:
            messages = [{"type": "hub.events", "stream": stream, "events": events} for stream, events in its_runs]
        key, capacity = layer.prefix + local, layer.get_capacity(channel)
        queued[layer.consistent_hash(local)] += [
            (key, layer.serialize({**message, "__asgi_channel__": [channel]}), capacity) for message in messages
        ]
    for index, entries in queued.items():
        now = time.time()
        args: list[bytes | float] = [message for _, message, _ in entries]
        args += [capacity for _, _, capacity in entries]
        args += [now, SCORE_STEP, int(layer.expiry), int(now) - int(layer.expiry)]
        over = await layer.connection(index).eval(_QUEUE_ALL, len(entries), *[key for key, _, _ in entries], *args)
        if over:
            log.warning("%d hub queues over capacity: a batch of events not queued for them", over)


async def _members(layer, streams: list[str]) -> dict[str, list[str]]:
    """Each stream group's channels, dropping those past group_expiry first: one pipeline per Redis host."""
    by_host: dict[int, list[str]] = defaultdict(list)
    for stream in streams:
        by_host[layer.consistent_hash(stream)].append(stream)
    members: dict[str, list[str]] = {}
    expired = int(time.time()) - layer.group_expiry
    for index, some in by_host.items():
        pipe = layer.connection(index).pipeline(transaction=False)
        for stream in some:
            key = layer._group_key(stream)
            pipe.zremrangebyscore(key, min=0, max=expired)
            pipe.zrange(key, 0, -1)
        answers = await pipe.execute()
        for stream, names in zip(some, answers[1::2], strict=True):
            members[stream] = [name.decode("utf8") for name in names]
    return members
