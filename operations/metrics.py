"""In-process measurements the health probes read: the matching engine's latency over a rolling window.

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

WINDOW_SAMPLES = 1000

_lock = threading.Lock()
_samples: deque[tuple[float, float]] = deque(maxlen=WINDOW_SAMPLES)  # (monotonic time, seconds)


def matching_latency_record(seconds: float) -> None:
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
