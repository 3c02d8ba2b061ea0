"""The one way domain code sends anything to connected clients.

    from streams.publishing import publish, publish_all
    publish(event=OrderCreated.of(order), key=order.account_id)
    publish_all(events=[(OrderCreated.of(order), order.account_id), ...])   # a service's events at once

The event is a declared one (streams.events): its declaration names the channel. Publishing encodes
it, stamps `channel`, `sequence` (per stream, from 1, no gaps) and `timestamp`, writes the encoded
message to the event log inside the caller's transaction and wakes the relay once the transaction
commits. A rolled-back transaction leaves neither an event nor a used sequence number.

`publish_all` writes a whole batch with two statements whatever its size: one upsert that advances
every stream's cursor (rows locked in stream order, held until commit, so a stream's events commit
in sequence order) and one multi-row insert into the log (more only past the database's limit of
parameters per statement); no savepoint. A transaction wakes the
relay once, however many batches it publishes.
"""

from collections import Counter

from django.db import connection, transaction
from django.utils import timezone

from kernel.json import dumps, utcnow_iso
from kernel.sql import rows_insert

from . import registry, relay
from .events import Event, wire
from .models import StreamEvent

CONTROL_DISCONNECT = "disconnect"


def publish(*, event: Event, key: str = "") -> int:
    """Queue `event` on the stream (its channel, key); returns the sequence number it was given."""
    return publish_all(events=[(event, key)])[0]


def publish_all(*, events: list[tuple[Event, str]]) -> list[int]:
    """Queue (event, key) pairs in this order (each stream keeps it); returns their sequence numbers.

    Callers that touch several streams pass them sorted by stream, as the cursors are locked in the
    order of first appearance; two transactions doing so cannot deadlock.
    """
    if not events:
        return []
    streams = []
    for event, key in events:
        registry.get(event.channel)  # an unknown channel is a programming error, caught here and not on the wire
        streams.append(registry.group_name(event.channel, key))
    with transaction.atomic(savepoint=False):
        next_sequence = _sequences_reserve(Counter(streams))
        rows, sequences = [], []
        for (event, _), stream in zip(events, streams, strict=True):
            sequence = next_sequence[stream]
            next_sequence[stream] += 1
            message = wire(event)
            message["channel"], message["sequence"] = event.channel, sequence
            message.setdefault("timestamp", utcnow_iso())
            rows.append((stream, event.channel, sequence, dumps(message), timezone.now(), False))
            sequences.append(sequence)
        rows_insert(StreamEvent, _INSERTED, rows)
        _relay_wake_after_commit()
    return sequences


def connections_close(*, user_id: int, reason: str, api_key_id: str | None = None) -> None:
    """Close every open socket of a user (or only those signed in with `api_key_id`), on every gateway
    process, once the transaction commits."""
    transaction.on_commit(
        lambda: relay.send_control(user_id=user_id, action=CONTROL_DISCONNECT, reason=reason, api_key_id=api_key_id)
    )


def stream_sequence(*, channel: str, key: str = "") -> int:
    """The last sequence given out on a stream (0 before its first event); snapshots read it first."""
    stream = registry.group_name(channel, key)
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_sequence FROM streams_streamcursor WHERE stream = %s", [stream])
        row = cursor.fetchone()
    return row[0] if row else 0


def _sequences_reserve(counts: Counter) -> dict[str, int]:
    """Advance each stream's cursor by its count in one statement; the first sequence of each stream's run."""
    # One statement on PostgreSQL and SQLite alike (a multi-row upsert; each stream appears once).
    values = ", ".join(["(%s, %s)"] * len(counts))
    params = [item for stream_count in counts.items() for item in stream_count]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO streams_streamcursor (stream, last_sequence) VALUES {values} "
            "ON CONFLICT (stream) DO UPDATE SET last_sequence = streams_streamcursor.last_sequence + excluded.last_sequence "
            "RETURNING stream, last_sequence",
            params,
        )
        last = dict(cursor.fetchall())
    return {stream: last[stream] - count + 1 for stream, count in counts.items()}


# Sent as SQL (kernel.sql): the ORM's bulk insert costs several times the database's time in compiling
# and, on PostgreSQL, in encoding each column as an array.
_INSERTED = ("stream", "channel", "sequence", "text", "created_at", "relayed")


def _relay_wake_after_commit() -> None:
    # One wake-up per transaction: a callback already queued (and not discarded with a rolled-back
    # savepoint) will wake the relay for these events too.
    if not any(entry[1] is relay.wake for entry in connection.run_on_commit):  # (savepoints, callback, robust)
        transaction.on_commit(relay.wake)
