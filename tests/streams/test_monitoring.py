"""What a scrape reads from the hub rather than tracks: subscriptions by channel and the bytes slow consumers owe."""

import pytest
from prometheus_client import REGISTRY

from streams import monitoring
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
