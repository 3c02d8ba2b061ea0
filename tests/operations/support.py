"""Helpers for the operations tests: the system_health events written to the event log, notice windows."""

from datetime import timedelta

from django.utils import timezone

from tests.support.event_log import published


def system_health_events() -> list[dict]:
    """Every system_health event published so far (committed or not), in sequence order."""
    return published("system_health")


def window(start_in_s: float, end_in_s: float) -> dict:
    now = timezone.now()
    return {"start_time": now + timedelta(seconds=start_in_s), "end_time": now + timedelta(seconds=end_in_s)}
