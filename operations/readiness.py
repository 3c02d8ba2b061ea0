"""Readiness: can this process serve? Its database, channel layer and Redis (when configured) answer, and its
hub and relay run. Every check runs at once, each bounded by the probes' TIMEOUT_S; /readyz reports them all.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings

from streams.monitoring import hub_tasks_running

from . import probes
from .models import HealthStatus

log = logging.getLogger(__name__)


class CheckFailed(Exception):
    pass


async def _database() -> None:
    await database_sync_to_async(probes.database_reading)()  # raises when the database does not answer


async def _channel_layer() -> None:
    await probes.channel_layer_round_trip()  # a send and a receive on a fresh test channel


async def _redis() -> None:
    reading = await sync_to_async(probes.redis_reading, thread_sensitive=False)()
    if reading is not None and reading.status == HealthStatus.DOWN:
        raise CheckFailed(reading.message)


async def _hub() -> None:
    if not (await hub_tasks_running())["hub"]:
        raise CheckFailed("the hub does not read the channel layer")


async def _relay() -> None:
    if not (await hub_tasks_running())["relay"]:
        raise CheckFailed("the relay does not run")


async def _state(check: Callable[[], Awaitable[None]]) -> dict[str, str]:
    try:
        async with asyncio.timeout(probes.TIMEOUT_S):
            await check()
    except Exception as exc:  # whatever went wrong, the check failed
        log.warning("readiness: %s failed", check.__name__.lstrip("_"), exc_info=not isinstance(exc, CheckFailed))
        # The class of a low-level error only: its text may name hosts, and /readyz answers anyone.
        return {"state": "failing", "error": str(exc) if isinstance(exc, CheckFailed) else type(exc).__name__}
    return {"state": "ok"}


async def readiness_checks() -> dict[str, dict[str, str]]:
    """Each check's state, "ok" or "failing" (with an error); Redis only when REDIS_URL is set."""
    checks: dict[str, Callable[[], Awaitable[None]]] = {"database": _database, "channel_layer": _channel_layer}
    if settings.REDIS_URL:
        checks["redis"] = _redis
    checks.update(hub=_hub, relay=_relay)  # the first check starts them, when no socket has yet
    states = await asyncio.gather(*(_state(check) for check in checks.values()))
    return dict(zip(checks, states, strict=True))
