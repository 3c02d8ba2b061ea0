"""Resume: the events a client missed on one stream, read back from the event log."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from . import registry
from .models import StreamCursor, StreamEvent

RESYNC_HINT = (
    "Events after your last sequence are no longer all available: reload the current state over REST "
    "(GET /v1/accounts/me, GET /v1/orders), then apply live events after 'sequence'."
)


@dataclass(frozen=True, slots=True)
class Replay:
    recovered: bool
    events: list[tuple[int, str]]  # (sequence, text), in order
    last_sequence: int  # the stream's last sequence when it was read; live events follow it
    reason: str | None = None


def replay_since(*, stream: str, since: int) -> Replay:
    """Everything after `since` on `stream`, or why it cannot be given (window exceeded, client ahead)."""
    # The cursor is read first: every sequence up to it is committed, later ones arrive live.
    last = StreamCursor.objects.filter(stream=stream).values_list("last_sequence", flat=True).first() or 0
    if since > last:
        return Replay(False, [], last, "ahead")
    missed = last - since
    if missed > settings.CDX_WS_REPLAY_MAX_EVENTS:
        return Replay(False, [], last, "window_exceeded")
    oldest = timezone.now() - timedelta(seconds=settings.CDX_EVENT_LOG_RETENTION_S)
    events = list(
        StreamEvent.objects.filter(stream=stream, sequence__gt=since, sequence__lte=last, created_at__gte=oldest)
        .order_by("sequence")
        .values_list("sequence", "text")
    )
    if len(events) != missed:
        return Replay(False, [], last, "window_exceeded")
    return Replay(True, events, last)


def event_log_prune() -> int:
    """The retention job: forget relayed events past the replay window (market data after minutes)."""
    now = timezone.now()
    durable = StreamEvent.objects.filter(
        relayed=True, created_at__lt=now - timedelta(seconds=settings.CDX_EVENT_LOG_RETENTION_S)
    ).delete()[0]
    ephemeral = StreamEvent.objects.filter(
        relayed=True,
        channel__in=registry.ephemeral_names(),
        created_at__lt=now - timedelta(seconds=settings.CDX_EPHEMERAL_RETENTION_S),
    ).delete()[0]
    return durable + ephemeral
