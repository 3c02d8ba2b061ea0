"""Starting a subscription without a gap: replay from the event log or a snapshot, then live events.

The subscriptions join the hub first, buffering: live events wait in them while the replay or the
snapshot is read and sent, and are released from the first sequence the client has not seen yet.
So nothing slips ahead of the starting state and nothing between it and the live stream is lost.
Once released, the hub writes straight to the socket (Hub._fan_out); nothing here is on that path.
"""

from typing import Any

from channels.db import database_sync_to_async

from . import registry
from .caches import snapshot_read
from .events import wire
from .flow import utf8_size
from .hub import Connection, Hub, Subscription
from .protocol import encode
from .replay import RESYNC_HINT, Replay, replay_since


class SubscriptionStart:
    """The streams of one subscribe request, from joining the hub to going live (two steps, the reply between)."""

    def __init__(self, conn: Connection, channel: registry.Channel, request: registry.Request, since: int | None):
        self.conn = conn
        self.channel = channel
        self.since = since
        buffering = channel.snapshot is not None or since is not None
        self.subscriptions = [Subscription(conn, ref, buffering=buffering) for ref in request.streams]
        self.coalesced_bases: list[int] = []
        self.replay: Replay | None = None

    async def join(self, hub: Hub) -> dict[str, Any]:
        """Join the hub (buffering from here on) and read the replay; returns the reply's resume fields."""
        for sub in self.subscriptions:
            self.coalesced_bases.append(await hub.subscribe(sub))
        if self.since is None:
            return {}
        self.replay = await database_sync_to_async(replay_since)(stream=self.subscriptions[0].ref.group, since=self.since)
        if not self.replay.recovered:
            return {
                "recovered": False,
                "reason": self.replay.reason,
                "resync": RESYNC_HINT,
                "sequence": self.replay.last_sequence,
            }
        return {"recovered": True, "replayed": len(self.replay.events)}

    async def go_live(self, hub: Hub) -> None:
        """Send the replay (or, when it failed on a snapshot channel, a snapshot), then what waited meanwhile."""
        replay = self.replay
        if replay is not None and (replay.recovered or self.channel.snapshot is None):
            for _, text in replay.events:
                await self.conn.push(text, utf8_size(text))
            await hub.release(self.subscriptions[0], replay.last_sequence + 1)
        elif self.channel.snapshot is not None:
            for sub, coalesced_base in zip(self.subscriptions, self.coalesced_bases, strict=True):
                await self._send_snapshot(hub, sub, coalesced_base)

    async def _send_snapshot(self, hub: Hub, sub: Subscription, coalesced_base: int) -> None:
        events, raw_base = await snapshot_read(self.channel, sub.ref.key)
        base = raw_base if sub.ref.aggregation == "raw" else coalesced_base
        extra = {} if sub.ref.aggregation == "raw" else {"aggregation": sub.ref.aggregation}
        for event in events:
            message = wire(event)
            kind = message.pop("type")
            text = encode(kind, **message, channel=self.channel.name, **extra, sequence=base, snapshot=True)
            await self.conn.push(text, utf8_size(text))
        await hub.release(sub, base + 1)
