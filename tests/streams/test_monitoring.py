"""What a scrape reads from the hub rather than tracks: subscriptions by channel and the bytes slow consumers owe."""

import pytest
from django.db import OperationalError
from prometheus_client import REGISTRY

from streams import metrics, monitoring
from streams.hub import Hub, StreamState, Subscription
from streams.registry import StreamRef
from tests.streams.test_slow_consumer import Recorder

pytestmark = pytest.mark.django_db(transaction=True)  # a scrape also reads the event log's ages


class Waiting(Recorder):
    """A socket with `queued` bytes waiting for its client (a scrape closes nothing: Recorder fails if it does)."""

    def __init__(self, user_id: int, queued: int):
        super().__init__()
        self.user_id = user_id
        self.queued = queued

    def queued_bytes(self) -> int:
        return self.queued


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_a_scrape_reads_subscriptions_by_channel_and_the_bytes_waiting(monkeypatch):
    hub = Hub(layer=None)
    slow, fast = Waiting(1, 1500), Waiting(2, 0)
    hub.users = {1: {slow}, 2: {fast}}
    orders = StreamState("orders.acc", "orders")
    orders.raw = {Subscription(conn, StreamRef("orders", "acc"), buffering=False) for conn in (slow, fast)}
    hub.streams = {"orders.acc": orders}
    monkeypatch.setattr(monitoring, "hubs_started", lambda: [hub])

    await monitoring.scrape_prepare()
    assert sample("cantondex_ws_subscriptions", channel="orders") == 2
    assert sample("cantondex_ws_send_queue_bytes") == 1500

    hub.streams, slow.queued = {}, 0
    await monitoring.scrape_prepare()
    assert sample("cantondex_ws_subscriptions", channel="orders") == 0, "a channel nobody follows reads 0, not its last value"
    assert sample("cantondex_ws_send_queue_bytes") == 0


async def test_a_database_that_does_not_answer_leaves_the_event_log_ages_and_the_scrape_answers(monkeypatch):
    monkeypatch.setattr(monitoring, "hubs_started", lambda: [])
    metrics.EVENT_LOG_NEWEST_AGE.set(7.0)

    def unreachable() -> None:
        raise OperationalError("the database went away")

    monkeypatch.setattr(monitoring, "_event_log_ages_set", unreachable)
    await monitoring.scrape_prepare()  # does not raise: the scrape still answers
    assert sample("cantondex_event_log_newest_age_seconds") == 7.0, "the last ages stay"
