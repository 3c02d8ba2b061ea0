"""Health probes: what the gateway can measure itself, turned into service statuses.

Each check returns a Reading (or None when it has nothing to say, e.g. no Redis configured). A service's
probe status is the worst reading of the checks that concern it; services.service_status_observe records
it and announces only a change, never overriding an administrator's degraded or down.
"""

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

from . import metrics
from .models import HealthStatus, Service
from .services import service_status_observe

log = logging.getLogger(__name__)

SEVERITY = {HealthStatus.OPERATIONAL: 0, HealthStatus.DEGRADED: 1, HealthStatus.DOWN: 2}
TIMEOUT_S = 2.0
RECOVERED_MESSAGE = "All health checks pass"


@dataclass(frozen=True)
class Reading:
    status: HealthStatus
    message: str = ""


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}ms"


def _latency(seconds: float, threshold_ms: float, slow_message: str) -> Reading:
    if seconds * 1000 > threshold_ms:
        return Reading(HealthStatus.DEGRADED, slow_message.format(_ms(seconds)))
    return Reading(HealthStatus.OPERATIONAL)


def database_reading() -> Reading:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return _latency(time.perf_counter() - started, settings.CDX_PROBE_DATABASE_MS, "Database latency high ({})")


_redis_client: redis.Redis | None = None


def redis_reading() -> Reading | None:
    global _redis_client
    if not settings.REDIS_URL:
        return None
    if _redis_client is None:
        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
    started = time.perf_counter()
    try:
        _redis_client.ping()
    except redis.RedisError as exc:
        return Reading(HealthStatus.DOWN, f"Redis unreachable ({type(exc).__name__})")
    return _latency(time.perf_counter() - started, settings.CDX_PROBE_REDIS_MS, "Redis latency high ({})")


async def channel_layer_round_trip() -> float:
    layer = get_channel_layer()
    # A plain (not process-specific) channel name: channels-redis lets any event loop receive on it.
    channel = f"cdx.probe.{secrets.token_hex(8)}"
    started = time.perf_counter()
    await layer.send(channel, {"type": "probe.ping"})
    await asyncio.wait_for(layer.receive(channel), TIMEOUT_S)
    return time.perf_counter() - started


def channel_layer_reading() -> Reading:
    try:
        seconds = async_to_sync(channel_layer_round_trip)()
    except Exception as exc:  # any failure of the layer (timeout, connection refused) means no delivery
        return Reading(HealthStatus.DOWN, f"Channel layer unreachable ({type(exc).__name__})")
    return _latency(seconds, settings.CDX_PROBE_CHANNEL_LAYER_MS, "Channel layer round trip slow ({})")


def matching_latency_reading() -> Reading | None:
    p99 = metrics.matching_latency_p99()
    if p99 is None:
        return None
    return _latency(p99, settings.CDX_PROBE_MATCHING_P99_MS, "Increased latency detected (P99: {})")


# Which services each check speaks for.
CHECKS = (
    (database_reading, (Service.MATCHING_ENGINE, Service.SETTLEMENT_SERVICE, Service.COMPLIANCE_SERVICE)),
    (redis_reading, (Service.WEBSOCKET_GATEWAY, Service.MARKET_DATA)),
    (channel_layer_reading, (Service.WEBSOCKET_GATEWAY, Service.MARKET_DATA)),
    (matching_latency_reading, (Service.MATCHING_ENGINE,)),
)


def probes_run() -> None:
    """The probe job: measure everything, then record each probed service's worst finding."""
    readings: dict[Service, list[Reading]] = {}
    for check, services in CHECKS:
        reading = check()
        for service in services:
            readings.setdefault(service, [])
            if reading is not None:
                readings[service].append(reading)
    for service, found in readings.items():
        problems = [r for r in found if r.status != HealthStatus.OPERATIONAL]
        if problems:
            status = max(problems, key=lambda r: SEVERITY[r.status]).status
            message = "; ".join(r.message for r in problems)
        else:
            status, message = HealthStatus.OPERATIONAL, RECOVERED_MESSAGE
        if service_status_observe(service=service, status=status, message=message):
            log.warning("probe: %s is now %s (%s)", service, status, message)
