"""What the monitoring endpoints ask of the gateway: its series brought up to date for a scrape, and
whether this process's hub and relay run.

Both run on the server's event loop (the endpoints are async), where the hubs live, so reading their
sockets and subscriptions needs no lock.
"""

import logging
import math
import time
from collections import Counter

from channels.db import database_sync_to_async
from django.db import DatabaseError

from . import metrics
from .hub import get_hub, hubs_started

log = logging.getLogger(__name__)

HUB_TASK = "cdx-hub-receive"
RELAY_TASK = "cdx-relay"

_channels_seen: set[str] = set()


def _hub_series_set() -> None:
    subscriptions: Counter[str] = Counter()
    queued = 0
    for hub in hubs_started():
        for state in hub.streams.values():
            for sub in state.raw:
                subscriptions[sub.ref.channel] += 1
            for coalescer in state.coalescers.values():
                subscriptions[coalescer.ref.channel] += len(coalescer.subscribers)
        for conns in hub.users.values():
            queued += sum(conn.queued_bytes() for conn in conns)
    _channels_seen.update(subscriptions)
    for channel in _channels_seen:  # a channel nobody follows any more reads 0, not its last value
        metrics.SUBSCRIPTIONS.labels(channel=channel).set(subscriptions[channel])
    metrics.SEND_QUEUE_BYTES.set(queued)


def _event_log_ages_set() -> None:
    from .models import StreamEvent

    now = time.time()
    oldest_unrelayed = StreamEvent.objects.filter(relayed=False).order_by("id").values_list("created_at", flat=True).first()
    newest = StreamEvent.objects.order_by("-id").values_list("created_at", flat=True).first()
    metrics.EVENT_LOG_OLDEST_UNRELAYED_AGE.set(0.0 if oldest_unrelayed is None else max(0.0, now - oldest_unrelayed.timestamp()))
    metrics.EVENT_LOG_NEWEST_AGE.set(math.nan if newest is None else max(0.0, now - newest.timestamp()))


async def scrape_prepare() -> None:
    """Set the series that are read rather than tracked. A database that does not answer leaves the event
    log's ages as they were (the scrape still answers; /readyz says what is wrong)."""
    _hub_series_set()
    try:
        await database_sync_to_async(_event_log_ages_set)()
    except DatabaseError:
        log.warning("metrics: the event log's ages could not be read", exc_info=True)


async def hub_tasks_running() -> dict[str, bool]:
    """Whether this process's hub reads the channel layer and its relay moves the event log. The first call
    starts them when no socket has yet, so a new process relays as soon as it is checked."""
    hub = await get_hub()
    alive = {task.get_name(): not task.done() for task in hub.tasks}
    return {"hub": alive.get(HUB_TASK, False), "relay": alive.get(RELAY_TASK, False)}
