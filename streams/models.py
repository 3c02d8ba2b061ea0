from django.db import models
from django.db.models import Q
from django.utils import timezone


class StreamCursor(models.Model):
    """The last sequence number given out on one stream; its row lock orders a stream's writers."""

    stream = models.CharField(primary_key=True, max_length=100)
    last_sequence = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.stream} at {self.last_sequence}"


class StreamEvent(models.Model):
    """The event log (an outbox): written in the transaction that caused the event, relayed after commit."""

    stream = models.CharField(max_length=100)
    channel = models.CharField(max_length=40)
    sequence = models.BigIntegerField()
    text = models.TextField(help_text="The encoded message exactly as subscribers receive it.")
    created_at = models.DateTimeField(default=timezone.now)
    relayed = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stream", "sequence"], name="stream_event_unique_sequence")]
        indexes = [
            models.Index(fields=["id"], condition=Q(relayed=False), name="stream_event_pending"),
            models.Index(fields=["created_at"], name="stream_event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.stream}#{self.sequence}"
