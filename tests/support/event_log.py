"""What services published, read back from the event log (committed or not), in sequence order."""

from kernel.json import loads
from streams.models import StreamEvent
from streams.registry import group_name


def published(channel: str, key: str | None = None, event_type: str | None = None, *, after: int = 0) -> list[dict]:
    """The events of one channel, or of one of its streams (`key`); only `event_type` and only past sequence
    `after` when given."""
    rows = StreamEvent.objects.filter(channel=channel, sequence__gt=after)
    if key is not None:
        rows = rows.filter(stream=group_name(channel, key))
    events = [loads(text) for text in rows.order_by("sequence").values_list("text", flat=True)]
    return [event for event in events if event_type is None or event["type"] == event_type]
