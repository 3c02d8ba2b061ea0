"""Operations settings: a Django setting of the same name wins, else the environment, else the default."""

import os

from django.conf import settings

DEFAULTS: dict[str, float] = {
    # How often the probes run, and the thresholds above which a service is reported degraded.
    "CDX_PROBE_INTERVAL_S": 5.0,
    "CDX_PROBE_DATABASE_MS": 250.0,
    "CDX_PROBE_REDIS_MS": 100.0,
    "CDX_PROBE_CHANNEL_LAYER_MS": 250.0,
    "CDX_PROBE_MATCHING_P99_MS": 50.0,
    # The matching latency window: samples younger than this many seconds, at most 1000 of them.
    "CDX_PROBE_MATCHING_WINDOW_S": 60.0,
    # How often the status page re-reads GET /v1/system/status when it has no live socket.
    "CDX_STATUS_PAGE_POLL_S": 5.0,
}


def value(name: str) -> float:
    if hasattr(settings, name):
        return float(getattr(settings, name))
    return float(os.environ.get(name, DEFAULTS[name]))
