"""Health probes: a threshold crossed raises service_degraded, recovery is automatic, quiet runs publish nothing."""

import threading

import pytest

from operations import metrics, probes
from operations.models import ServiceStatus
from tests.event_shapes import assert_event_shape
from tests.operations.support import system_health_events

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_latency_window():
    metrics._samples.clear()
    yield
    metrics._samples.clear()


def record(seconds: float, times: int) -> None:
    for _ in range(times):
        metrics.matching_latency_record(seconds)


def test_p99_is_the_nearest_rank():
    assert metrics.matching_latency_p99() is None
    record(0.001, 99)
    record(0.5, 1)
    assert metrics.matching_latency_p99() == 0.001
    record(0.5, 1)
    assert metrics.matching_latency_p99() == 0.5


def test_recording_is_thread_safe():
    threads = [threading.Thread(target=record, args=(0.001, 500)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(metrics._samples) == metrics.WINDOW_SAMPLES  # bounded: only the newest 1000 are kept


def test_matching_latency_crosses_the_threshold_and_recovers(settings):
    settings.CDX_PROBE_MATCHING_P99_MS = 5
    record(0.002, 200)
    probes.probes_run()
    assert system_health_events() == []  # healthy and unchanged: nothing published

    record(0.0123, 10)
    probes.probes_run()
    degraded, status = system_health_events()
    assert_event_shape(degraded)
    assert_event_shape(status)
    assert degraded["service"] == "matching_engine" and degraded["status"] == "degraded"
    assert degraded["message"] == "Increased latency detected (P99: 12ms)"
    assert status["status"] == "degraded" and status["all_services_healthy"] is False

    record(0.02, 5)
    probes.probes_run()
    assert len(system_health_events()) == 2  # still degraded: no new event however the number moves

    record(0.001, metrics.WINDOW_SAMPLES)  # the slow samples leave the window
    probes.probes_run()
    recovered, status = system_health_events()[-2:]
    assert recovered["type"] == "service_degraded" and recovered["status"] == "operational"
    assert status["status"] == "operational" and status["all_services_healthy"] is True
    assert ServiceStatus.objects.get(pk="matching_engine").status == "operational"


def test_old_samples_leave_the_window(settings):
    settings.CDX_PROBE_MATCHING_WINDOW_S = 0
    record(1.0, 5)
    assert metrics.matching_latency_p99() is None


def test_database_and_channel_layer_thresholds(settings):
    settings.CDX_PROBE_DATABASE_MS = settings.CDX_PROBE_CHANNEL_LAYER_MS = -1
    probes.probes_run()
    degraded = {e["service"]: e["message"] for e in system_health_events() if e["type"] == "service_degraded"}
    assert set(degraded) == {
        "matching_engine", "settlement_service", "compliance_service", "websocket_gateway", "market_data",
    }
    assert degraded["settlement_service"].startswith("Database latency high (")
    assert "Channel layer round trip slow (" in degraded["websocket_gateway"]


def test_a_failing_channel_layer_is_down(monkeypatch):
    async def broken():
        raise ConnectionError("refused")

    monkeypatch.setattr(probes, "channel_layer_round_trip", broken)
    probes.probes_run()
    down = [e for e in system_health_events() if e["type"] == "service_degraded"]
    assert {e["service"] for e in down} == {"websocket_gateway", "market_data"}
    assert all(e["status"] == "down" and e["message"] == "Channel layer unreachable (ConnectionError)" for e in down)
    assert system_health_events()[-1]["status"] == "down"
