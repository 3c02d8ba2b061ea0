"""Wakes the relays of the gateway processes when a process without a relay commits events.

A management command, the job runner or a web worker writes events to the log but relays none;
the gateways would find them at their next poll (CDX_RELAY_POLL_S). Instead such a process sends a
wake-up after the commit: a Redis PUBLISH when REDIS_URL is set, else a PostgreSQL NOTIFY. Each
gateway listens (Redis SUBSCRIBE / PostgreSQL LISTEN on a connection of its own) and drains its
relay at once. The wake-up carries no data and may be lost (listener reconnecting): the poll
stays as the fallback, and a relay that drains for nothing costs one indexed read.
"""

import asyncio
import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import connection, connections

log = logging.getLogger(__name__)

CHANNEL = "cdx_relay_wake"  # Redis channel and PostgreSQL notification channel alike
RECONNECT_DELAY_S = 1.0

_redis_lock = threading.Lock()
_redis_client = None


def _use_postgres() -> bool:
    return connections["default"].vendor == "postgresql"


def notify_gateways() -> None:
    """Called after a commit in a process with no relay of its own; never raises."""
    try:
        if settings.REDIS_URL:
            _sync_redis().publish(CHANNEL, b"")
        elif _use_postgres():
            with connection.cursor() as cursor:
                cursor.execute(f"NOTIFY {CHANNEL}")
    except Exception:
        log.warning("could not wake the gateways' relays; they will find the events at their next poll", exc_info=True)


def _sync_redis():
    global _redis_client
    with _redis_lock:
        if _redis_client is None:
            import redis

            _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        return _redis_client


async def listen(on_wake: Callable[[], None]) -> None:
    """Calls `on_wake` for every wake-up, reconnecting after failures, until cancelled."""
    if not settings.REDIS_URL and not _use_postgres():
        return  # SQLite: one machine, and the poll
    while True:
        try:
            if settings.REDIS_URL:
                await _listen_redis(on_wake)
            else:
                await _listen_postgres(on_wake)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("relay wake-up listener lost its connection; reconnecting", exc_info=True)
        await asyncio.sleep(RECONNECT_DELAY_S)


async def _listen_redis(on_wake: Callable[[], None]) -> None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5, health_check_interval=30)
    try:
        async with client.pubsub() as pubsub:
            await pubsub.subscribe(CHANNEL)
            on_wake()  # whatever was committed while nobody listened
            async for message in pubsub.listen():
                if message["type"] == "message":
                    on_wake()
    finally:
        await client.aclose()


async def _listen_postgres(on_wake: Callable[[], None]) -> None:
    import psycopg

    params = connections["default"].get_connection_params()
    params.pop("context", None)  # Django's adapters are for its own connections
    params.pop("cursor_factory", None)
    listener = await psycopg.AsyncConnection.connect(**params, autocommit=True)
    try:
        await listener.execute(f"LISTEN {CHANNEL}")
        on_wake()
        async for _ in listener.notifies():
            on_wake()
    finally:
        await listener.close()  # not `async with`: its exit would roll back first, on a busy connection
