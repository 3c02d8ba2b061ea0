"""Moves committed events from the event log to the channel layer, in order, retrying until it succeeds.

Each gateway process runs one relay on its event loop. A commit in the same process wakes it at
once; a commit in a process without a relay (management commands, workers) wakes the gateways'
relays through Redis or PostgreSQL (wakeup.py), and a poll finds whatever a lost wake-up missed.
Hubs drop sequence numbers they have already delivered, so two relays sending the same event
is harmless.
"""

import asyncio
import logging
import threading
import time
from datetime import datetime

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

from kernel.sql import PreparedQuery

from . import metrics, wakeup
from .layer_send import send_runs

log = logging.getLogger(__name__)

BATCH_SIZE = 500
RETRY_DELAY_S = 1.0

_lock = threading.Lock()
_running: set["Relay"] = set()


# Every hub is in this one group and keeps what concerns its own users: connecting costs no layer
# round trip, and a control message (rare: a user disabled) reaches each process once.
CONTROL_GROUP = "cdx.control"


def wake() -> None:
    """Called after a commit, from any thread: this process's relays look at the log now, or, in a
    process without one (a command, the job runner), the gateways' relays do."""
    with _lock:
        relays = list(_running)
    for relay in relays:
        relay.loop.call_soon_threadsafe(relay.wakeup.set)
    if not relays:
        wakeup.notify_gateways()


def send_control(*, user_id: int, action: str, reason: str, api_key_id: str | None = None) -> None:
    async_to_sync(get_channel_layer().group_send)(
        CONTROL_GROUP,
        {"type": "hub.control", "user_id": user_id, "action": action, "reason": reason, "api_key_id": api_key_id},
    )


# Run on every wake-up, for a handful of events each: compiled once, not by the ORM each time (which costs
# several times what the database takes). It uses the stream_event_pending partial index.
_PENDING_BATCH = PreparedQuery(
    lambda: _stream_events()
    .filter(relayed=False)
    .order_by("id")
    .values_list("id", "stream", "sequence", "text", "created_at")[:BATCH_SIZE]
)


def _stream_events():
    from .models import StreamEvent  # not at import time: the relay module loads before the app registry

    return StreamEvent.objects


def _pending_batch() -> list[tuple[int, str, int, str, datetime]]:
    return _PENDING_BATCH.rows()


def _mark_relayed(ids: list[int]) -> None:
    table = connection.ops.quote_name(_stream_events().model._meta.db_table)  # the model's table, not a copy of its name
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET relayed = %s WHERE id IN ({', '.join(['%s'] * len(ids))})", [True, *ids])


def _runs(batch: list[tuple[int, str, int, str, datetime]]) -> list[tuple[str, list[list]]]:
    """The batch as runs of consecutive events of one stream, in log order.

    A hub gets each run whole and writes it to each socket in one loop pass (the transport then sends
    it in one go, not one write per event), and gets the runs in log order, so events of different
    streams still reach a client in the order they were committed (layer_send.py hands a batch over).
    """
    runs: list[tuple[str, list[list]]] = []
    for _, stream, sequence, text, _ in batch:
        if not runs or runs[-1][0] != stream:
            runs.append((stream, []))
        runs[-1][1].append([sequence, text])
    return runs


class Relay:
    def __init__(self, layer):
        self.layer = layer
        self.loop = asyncio.get_running_loop()
        self.wakeup = asyncio.Event()
        self.finishing = False

    async def finish(self, running: asyncio.Task) -> None:
        """Stop `running` (this relay's run()) after the pass it is in, or one more pass if it is waiting,
        so what this process committed last is on its way before the process exits."""
        self.finishing = True
        self.wakeup.set()
        await running

    async def run(self) -> None:
        with _lock:
            _running.add(self)
        try:
            while not self.finishing:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that
                # arrives as its timeout fires, and the relay would then never stop.
                try:
                    async with asyncio.timeout(settings.CDX_RELAY_POLL_S):
                        await self.wakeup.wait()
                except TimeoutError:
                    pass
                self.wakeup.clear()
                try:
                    await self.drain()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # Database or Redis away: nothing is marked relayed, so nothing is lost; try again.
                    log.exception("event relay failed; retrying in %.1fs", RETRY_DELAY_S)
                    await asyncio.sleep(RETRY_DELAY_S)
        finally:
            with _lock:
                _running.discard(self)

    async def drain(self) -> None:
        while True:
            batch = await database_sync_to_async(_pending_batch)()
            if not batch:
                return
            await send_runs(self.layer, _runs(batch))
            handed_over = time.time()
            for *_, created_at in batch:
                metrics.RELAY_LAG.observe(handed_over - created_at.timestamp())
            await database_sync_to_async(_mark_relayed)([row[0] for row in batch])
            if len(batch) < BATCH_SIZE:
                return
