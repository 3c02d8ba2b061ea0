"""Per-process caches for what every subscriber of a stream asks the database for alike.

A connection storm on one symbol would otherwise read the same snapshot and the same list of
symbols once per subscriber, in line on the one ORM thread. Entries also expire after
`MAX_AGE_S`, which bounds the effect of a change made behind the services' back (a queryset
update in a shell), and everything is dropped when the database is flushed (post_migrate).
"""

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db.models.signals import post_migrate

from .batching import Batcher, each
from .events import Event
from .publishing import stream_sequence
from .registry import Channel, SnapshotProvider

MAX_AGE_S = 5.0

_lock = threading.Lock()
_caches: list["SnapshotCache | ValueCache"] = []


def _track(cache):
    with _lock:
        _caches.append(cache)
    return cache


def forget_all(**kwargs) -> None:
    for cache in list(_caches):
        cache.forget()


post_migrate.connect(forget_all, weak=False, dispatch_uid="streams.caches.forget_all")


class SnapshotCache:
    """Wraps a snapshot provider: one read per (stream, sequence), shared by every subscriber.

    Valid because a stream's state changes only in transactions that publish an event on it: while
    the stream's sequence stays the same, so does the state its snapshot describes. A hit costs one
    primary-key read (the sequence) instead of the provider's queries.
    """

    def __init__(self, channel: str, provider: SnapshotProvider):
        self.channel = channel
        self.provider = provider
        self.entries: dict[str, tuple[int, float, list[Event]]] = {}

    def __call__(self, key: str) -> tuple[list[Event], int]:
        sequence = stream_sequence(channel=self.channel, key=key)
        entry = self.entries.get(key)
        if entry is not None and entry[0] == sequence and time.monotonic() - entry[1] < MAX_AGE_S:
            return entry[2], sequence
        events, sequence = self.provider(key)
        self.entries[key] = (sequence, time.monotonic(), events)
        return events, sequence

    def forget(self, key: str | None = None) -> None:
        if key is None:
            self.entries.clear()
        else:
            self.entries.pop(key, None)


class ValueCache:
    """A value read at most once per `MAX_AGE_S`, dropped at once by `forget` (e.g. from a post_save)."""

    def __init__(self, read: Callable[[], Any]):
        self.read = read
        self.entry: tuple[float, Any] | None = None

    def __call__(self) -> Any:
        entry = self.entry
        if entry is not None and time.monotonic() - entry[0] < MAX_AGE_S:
            return entry[1]
        value = self.read()
        self.entry = (time.monotonic(), value)
        return value

    def forget(self, **kwargs) -> None:
        self.entry = None


def snapshot_cache(channel: str, provider: SnapshotProvider) -> SnapshotCache:
    return _track(SnapshotCache(channel, provider))


def value_cache(read: Callable[[], Any]) -> ValueCache:
    return _track(ValueCache(read))


_snapshot_batchers: dict[str, Batcher[str]] = {}


async def snapshot_read(channel: Channel, key: str) -> tuple[list[Event], int]:
    """The channel's snapshot of `key`; subscribers asking at the same moment share one ORM trip."""
    batcher = _snapshot_batchers.get(channel.name)
    if batcher is None:
        assert channel.snapshot is not None  # only snapshot channels are asked
        batcher = _snapshot_batchers[channel.name] = Batcher(each(channel.snapshot))
    return await batcher.get(key)
