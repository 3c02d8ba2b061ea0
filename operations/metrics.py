"""The matching engine's latency: kept over a rolling window for the health probes' p99, and exported to
Prometheus as a histogram of the same samples (`cantondex_matching_seconds`).

    with matching_latency_timer():
        matching.submit(...)

Thread-safe: orders are placed on many request threads while the probe job reads the window.
"""

import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from prometheus_client import Histogram

WINDOW_SAMPLES = 1000
# Latencies of a request's work, from a millisecond to seconds: the matching engine, order entry, bids.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

MATCHING_SECONDS = Histogram(
    "cantondex_matching_seconds", "Time the matching engine took to match one order (what the probe's p99 reads)", buckets=LATENCY_BUCKETS
)

_lock = threading.Lock()
_samples: deque[tuple[float, float]] = deque(maxlen=WINDOW_SAMPLES)  # (monotonic time, seconds)


def matching_latency_record(seconds: float) -> None:
    MATCHING_SECONDS.observe(seconds)
    with _lock:
        _samples.append((time.monotonic(), seconds))


@contextmanager
def matching_latency_timer() -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        matching_latency_record(time.perf_counter() - started)


def matching_latency_p99() -> float | None:
    """The 99th percentile (nearest rank) of the recent samples in seconds, or None without any."""
    horizon = time.monotonic() - settings.CDX_PROBE_MATCHING_WINDOW_S
    with _lock:
        while _samples and _samples[0][0] < horizon:
            _samples.popleft()
        values = sorted(seconds for _, seconds in _samples)
    if not values:
        return None
    return values[math.ceil(0.99 * len(values)) - 1]
