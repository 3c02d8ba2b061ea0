"""One hub per gateway process: the only reader of the channel layer, and the fan-out to sockets.

The hub joins a channel-layer group once per stream that has a local subscriber (and one control
group per process), receives each run of a stream's events once, already encoded, and writes the
same text to every local subscriber's socket in one loop pass. That is what keeps fan-out cost at
one write per subscriber per run: no per-connection channel, no re-encoding, and each text's UTF-8
size (which the sockets' send windows count) measured once.

It also keeps every stream in order: it drops sequence numbers it has delivered already and, on a
gap, reads the missing events back from the event log before going on. After a channel-layer
failure it rejoins its groups and catches every stream up from the log (Redis may come back empty).

A socket can close at any moment, even between two writes of one run (autobahn then raises
Disconnected on the write). A failed write ends that one connection and nothing else: the loop
goes on to the other sockets, and the stream's bookkeeping is what was delivered to them.
"""

import asyncio
import contextvars
import logging
from collections.abc import Iterable
from typing import Protocol, TypeGuard

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from . import metrics, wakeup
from .coalesce import Coalescer
from .flow import utf8_size
from .layer_send import HUB_CHANNEL_PREFIX
from .limits import connection_counter_close
from .registry import StreamRef
from .relay import CONTROL_GROUP, Relay

log = logging.getLogger(__name__)

GROUP_REFRESH_S = 60.0  # channels-redis forgets group members after group_expiry, or a restart
LAYER_RETRY_S = 1.0


class Connection(Protocol):
    user_id: int
    api_key_id: str | None

    async def push(self, text: str, size: int) -> None:
        """Write `text`, shared with other sockets, whose UTF-8 size `size` was counted once for all."""

    async def close_for(self, reason: str) -> None: ...

    async def close_for_restart(self) -> None:
        """The process is draining: tell the client to reconnect elsewhere, close, and stop counting now."""

    def write_failed(self) -> None: ...

    def queued_bytes(self) -> int:
        """Bytes of events waiting for the client to read what was sent before (streams/flow.py)."""


class Subscription:
    """One stream followed by one connection. While `pending` is a list, events (sequence, text, UTF-8 size)
    wait there for the snapshot."""

    __slots__ = ("conn", "min_seq", "pending", "ref")

    def __init__(self, conn: Connection, ref: StreamRef, buffering: bool):
        self.conn = conn
        self.ref = ref
        self.pending: list[tuple[int, str, int]] | None = [] if buffering else None
        self.min_seq = 0


class StreamState:
    __slots__ = ("coalescers", "deliveries", "group", "last_seq", "raw")

    def __init__(self, group: str, channel: str):
        self.group = group
        self.deliveries = metrics.deliveries(channel)
        self.last_seq = 0  # 0: not known yet, take the first event as it comes
        self.raw: set[Subscription] = set()
        self.coalescers: dict[str, Coalescer[Subscription]] = {}

    def empty(self) -> bool:
        return not self.raw and not self.coalescers


def _events_after(stream: str, after: int, upto: int | None = None) -> list[tuple[int, str]]:
    """The logged events of `stream` past sequence `after` (up to `upto`, when given), in order."""
    from .models import StreamEvent

    events = StreamEvent.objects.filter(stream=stream, sequence__gt=after)
    if upto is not None:
        events = events.filter(sequence__lte=upto)
    return list(events.order_by("sequence").values_list("sequence", "text"))


class Hub:
    def __init__(self, layer):
        self.layer = layer
        self.channel_name = ""
        self.streams: dict[str, StreamState] = {}
        self.users: dict[int, set[Connection]] = {}
        self.sockets: set[Connection] = set()  # every open socket, authenticated or not
        self.draining = False
        self.sockets_gone = asyncio.Event()  # set once draining and the last socket has closed
        self.relay: Relay | None = None
        self.relay_run: asyncio.Task | None = None  # the relay's run(), which a drain lets finish its pass
        self.tasks: list[asyncio.Task] = []
        self.short_tasks: set[asyncio.Task] = set()  # held here: the loop keeps only weak references

    async def start(self) -> None:
        self.channel_name = await self.layer.new_channel(HUB_CHANNEL_PREFIX)
        await self.layer.group_add(CONTROL_GROUP, self.channel_name)
        relay = self.relay = Relay(self.layer)
        self.relay_run = asyncio.create_task(relay.run(), name="cdx-relay")
        self.tasks = [
            self.relay_run,
            asyncio.create_task(self._receive_loop(), name="cdx-hub-receive"),
            asyncio.create_task(wakeup.listen(relay.wakeup.set), name="cdx-relay-wakeup"),
            asyncio.create_task(self._refresh_groups(), name="cdx-hub-groups"),
        ]

    def spawn(self, work) -> None:
        """Run `work` soon, as a task the hub keeps until it ends (closing sockets, flushing coalescers)."""
        task = asyncio.create_task(work)
        self.short_tasks.add(task)
        task.add_done_callback(self.short_tasks.discard)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def drain(self) -> None:
        """Before the process exits (SIGTERM): no new sockets; every open one is told to reconnect elsewhere,
        closed and uncounted at once (its place is free on the other servers right away); once the clients
        have closed, the relay finishes its pass. Bound it with a timeout: a client may never answer."""
        self.draining = True
        open_sockets = list(self.sockets)
        log.info("draining: telling %d sockets to reconnect elsewhere", len(open_sockets))
        for conn in open_sockets:
            await conn.close_for_restart()
        if self.sockets:
            await self.sockets_gone.wait()
        assert self.relay is not None and self.relay_run is not None, "start() first"
        await self.relay.finish(self.relay_run)

    # Connections and subscriptions

    def socket_open(self, conn: Connection) -> None:
        self.sockets.add(conn)

    def socket_closed(self, conn: Connection) -> None:
        self.sockets.discard(conn)
        if self.draining and not self.sockets:
            self.sockets_gone.set()

    async def connection_add(self, conn: Connection) -> None:
        self.users.setdefault(conn.user_id, set()).add(conn)

    async def connection_remove(self, conn: Connection) -> None:
        conns = self.users.get(conn.user_id)
        if conns is None or conn not in conns:
            return
        conns.discard(conn)
        if not conns:
            del self.users[conn.user_id]

    async def subscribe(self, sub: Subscription) -> int:
        """Start delivering to `sub`; returns the coalesced stream's current sequence (0 for raw)."""
        group = sub.ref.group
        state = self.streams.get(group)
        new_stream = state is None
        if state is None:
            state = self.streams[group] = StreamState(group, sub.ref.channel)
        base = 0
        if sub.ref.aggregation == "raw":
            state.raw.add(sub)
        else:
            coalescer = state.coalescers.get(sub.ref.aggregation)
            if coalescer is None:
                coalescer = state.coalescers[sub.ref.aggregation] = Coalescer(sub.ref, spawn=self.spawn, deliver=self.deliver)
            coalescer.subscribers.add(sub)
            base = coalescer.sequence
        if new_stream:
            await self._layer_membership(self.layer.group_add, group)
        return base

    async def unsubscribe(self, subs: Iterable[Subscription]) -> None:
        for sub in subs:
            state = self.streams.get(sub.ref.group)
            if state is None:
                continue
            state.raw.discard(sub)
            coalescer = state.coalescers.get(sub.ref.aggregation)
            if coalescer is not None:
                coalescer.subscribers.discard(sub)
                if not coalescer.subscribers:
                    coalescer.stop()
                    del state.coalescers[sub.ref.aggregation]
            if state.empty():
                del self.streams[state.group]
                await self._layer_membership(self.layer.group_discard, state.group)

    async def _layer_membership(self, change, group: str) -> None:
        # With the layer away the receive loop fails too, and rejoins every group once it is back.
        try:
            await change(group, self.channel_name)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("channel layer unavailable: %s of %s deferred", change.__name__, group)

    async def release(self, sub: Subscription, min_seq: int) -> None:
        """The snapshot has been sent: deliver what waited, from `min_seq` on, then go live."""
        sub.min_seq = min_seq
        while sub.pending:
            waiting, sub.pending = sub.pending, []
            for seq, text, size in waiting:
                if seq >= min_seq:
                    await sub.conn.push(text, size)
        sub.pending = None

    async def deliver(self, sub: Subscription, seq: int, text: str, size: int) -> None:
        """Write one event of a fan-out to one socket; a write that fails ends that connection only."""
        if sub.pending is not None:
            sub.pending.append((seq, text, size))
        elif seq >= sub.min_seq:
            try:
                await sub.conn.push(text, size)
            except Exception as error:  # autobahn's Disconnected when the client began to close
                log.info("a write to a socket failed (%r); closing that socket", error)
                sub.conn.write_failed()

    # Channel-layer traffic

    async def _receive_loop(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel_name)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hub lost the channel layer; rejoining its groups once it answers")
                await self._recover()
                continue
            try:
                if message["type"] == "hub.events":
                    await self._on_events(message["stream"], message["events"])
                elif message["type"] == "hub.runs":
                    await self._on_runs(message["runs"])
                elif message["type"] == "hub.control":
                    self._on_control(message)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hub failed to handle %s", message.get("type"))

    async def _recover(self) -> None:
        """After a layer failure: rejoin every group as soon as the layer answers, then catch up from the log.

        The layer may have come back empty (Redis restarted without persistence: no group has members),
        and whatever the relay sent meanwhile went nowhere, though marked relayed. Every stream that
        has delivered something here is read back from the event log past its last delivered sequence.
        """
        while True:
            await asyncio.sleep(LAYER_RETRY_S)
            try:
                await self._join_all()
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("channel layer still unavailable; retrying in %.1fs", LAYER_RETRY_S)
        for group, state in list(self.streams.items()):
            if state.last_seq:  # 0: nothing delivered yet, so nothing known to catch up from
                missed = await database_sync_to_async(_events_after)(group, state.last_seq)
                if missed:
                    log.warning("stream %s: caught up %d events from the log after a layer failure", group, len(missed))
                    await self._on_events(group, missed)

    async def _join_all(self) -> None:
        await self.layer.group_add(CONTROL_GROUP, self.channel_name)
        for group in list(self.streams):
            await self.layer.group_add(group, self.channel_name)

    async def _on_runs(self, runs: list[list]) -> None:
        """A relay's batch for this hub (streams/layer_send.py): each stream's run in the batch's order. A run
        that fails (its gap could not be read from the log) leaves that stream to its next run, not the others."""
        for stream, events in runs:
            try:
                await self._on_events(stream, events)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hub failed to deliver a run of %s", stream)

    async def _on_events(self, group: str, events: list[list]) -> None:
        """A batch of one stream's events, in sequence order: deliver the new ones, filling any gap first."""
        state = self.streams.get(group)
        if state is None:
            return  # nobody here follows it
        fresh: list[tuple[int, str]] = []
        last_seq = state.last_seq
        for seq, text in events:
            if seq <= last_seq:
                continue  # delivered already (another relay sent it too)
            if last_seq and seq > last_seq + 1:
                missing = await database_sync_to_async(_events_after)(group, last_seq, seq - 1)
                log.warning("stream %s: recovered %d events %d..%d from the log", group, len(missing), last_seq + 1, seq - 1)
                fresh.extend(missing)
            fresh.append((seq, text))
            last_seq = seq
        if fresh:
            # Set only once the whole run is in hand (a failed log read leaves it for the next run to
            # fill); the fan-out below cannot fail, so every socket gets all of it.
            state.last_seq = last_seq
            await self._fan_out(state, fresh)

    async def _fan_out(self, state: StreamState, events: list[tuple[int, str]]) -> None:
        # Writing to a socket never suspends (daphne queues the frame), so every socket gets the whole
        # batch in this one loop pass and the transport flushes it with one send per socket.
        if state.raw:
            sized = [(seq, text, utf8_size(text)) for seq, text in events]  # once per text, not per socket
            first_seq = sized[0][0]
            subs = list(state.raw)
            for sub in subs:
                if sub.pending is not None or first_seq < sub.min_seq:
                    for seq, text, size in sized:  # buffering, or released part-way into this run
                        await self.deliver(sub, seq, text, size)
                    continue
                # Live: what deliver() does for each event, one call less per socket and event.
                try:
                    for _, text, size in sized:
                        await sub.conn.push(text, size)
                except Exception as error:
                    log.info("a write to a socket failed (%r); closing that socket", error)
                    sub.conn.write_failed()  # its later writes are dropped, as deliver() would drop them
            state.deliveries.inc(len(subs) * len(sized))  # once per run, not per socket
        for coalescer in state.coalescers.values():
            for _, text in events:
                coalescer.add(text)

    def _on_control(self, message: dict) -> None:
        api_key_id = message.get("api_key_id")  # only the sockets signed in with that key, else all the user's
        for conn in list(self.users.get(message["user_id"], ())):
            if api_key_id is None or conn.api_key_id == api_key_id:
                self.spawn(conn.close_for(message["reason"]))

    async def _refresh_groups(self) -> None:
        while True:
            await asyncio.sleep(GROUP_REFRESH_S)
            try:
                await self._join_all()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hub could not refresh its group memberships")


_hubs: dict[asyncio.AbstractEventLoop, "asyncio.Future[Hub]"] = {}


async def get_hub() -> Hub:
    loop = asyncio.get_running_loop()
    starting = _hubs.get(loop)
    if starting is None or _failed(starting):  # a hub that could not start (the layer was away) is tried again
        # In a context of its own: the hub's tasks serve every connection, not the one that started it (its
        # log lines would carry that connection's id).
        starting = _hubs[loop] = loop.create_task(_start_hub(), context=contextvars.Context())
    if starting.done():
        return starting.result()  # every connection asks: no shield, no suspension once the hub runs
    return await asyncio.shield(starting)


def _failed(starting: "asyncio.Future[Hub]") -> bool:
    return starting.done() and (starting.cancelled() or starting.exception() is not None)


def _running(starting: "asyncio.Future[Hub] | None") -> "TypeGuard[asyncio.Future[Hub]]":
    """Whether `starting` is a hub that started and can be used."""
    return starting is not None and starting.done() and not _failed(starting)


def hubs_started() -> list[Hub]:
    """The hubs of this process that started (one per event loop: one in a server)."""
    return [starting.result() for starting in list(_hubs.values()) if _running(starting)]


async def _start_hub() -> Hub:
    hub = Hub(get_channel_layer())
    await hub.start()
    return hub


async def drain_hub(*, timeout_s: float) -> None:
    """Drain this event loop's hub (Hub.drain) for at most `timeout_s`, then stop it and the connection counter:
    the gateway leaves the live set, so whatever it still counted stops counting at once."""
    starting = _hubs.get(asyncio.get_running_loop())
    if _running(starting):
        try:
            async with asyncio.timeout(timeout_s):
                await starting.result().drain()
        except TimeoutError:
            log.warning("drain not finished within %gs; closing what is left", timeout_s)
    await stop_hub()


async def stop_hub() -> None:
    """Stop this event loop's hub and connection counter (tests call it before their loop closes)."""
    starting = _hubs.pop(asyncio.get_running_loop(), None)
    if starting is not None:
        await (await starting).stop()
    await connection_counter_close()
