"""The one way domain code sends anything to connected clients.

    from streams.publishing import publish
    publish(event=OrderCreated.of(order), key=order.account_id)

The event is a declared one (streams.events): its declaration names the channel. `publish` encodes
it, stamps `channel`, `sequence` (per stream, from 1, no gaps) and `timestamp`, writes the
encoded message to the event log inside the caller's transaction and wakes the relay once the
transaction commits. A rolled-back transaction leaves neither an event nor a used sequence number.
"""

from django.db import connection, transaction

from kernel.json import dumps, utcnow_iso

from . import registry, relay
from .events import Event, wire
from .models import StreamEvent

CONTROL_DISCONNECT = "disconnect"


def publish(*, event: Event, key: str = "") -> int:
    """Queue `event` on the stream (its channel, key); returns the sequence number it was given."""
    channel = event.channel
    registry.get(channel)  # an unknown channel is a programming error, caught here and not on the wire
    stream = registry.group_name(channel, key)
    message = wire(event)
    with transaction.atomic():
        sequence = _next_sequence(stream)
        message["channel"], message["sequence"] = channel, sequence
        message.setdefault("timestamp", utcnow_iso())
        StreamEvent.objects.create(stream=stream, channel=channel, sequence=sequence, text=dumps(message))
        transaction.on_commit(relay.wake)
    return sequence


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


def _next_sequence(stream: str) -> int:
    # One statement on PostgreSQL and SQLite alike; the row stays locked until the transaction ends,
    # so a stream's events commit in sequence order.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO streams_streamcursor (stream, last_sequence) VALUES (%s, 1) "
            "ON CONFLICT (stream) DO UPDATE SET last_sequence = streams_streamcursor.last_sequence + 1 "
            "RETURNING last_sequence",
            [stream],
        )
        return cursor.fetchone()[0]
