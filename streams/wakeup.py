"""Wakes the relays of the gateway processes when a process without a relay commits events.

A management command, the job runner or a web worker writes events to the log but relays none;
the gateways would find them at their next poll (CDX_RELAY_POLL_S). Instead such a process sends a
wake-up after the commit: a Redis PUBLISH when REDIS_URL is set, else a PostgreSQL NOTIFY, else
(SQLite: every process is on one machine) a datagram to each gateway's Unix socket in a directory
next to the database file. Each gateway listens and drains its relay at once. A wake-up carries no
data and may be lost (a listener reconnecting): the poll stays as the fallback, and a relay that
drains for nothing costs one indexed read.
"""

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection, connections

log = logging.getLogger(__name__)

CHANNEL = "cdx_relay_wake"  # Redis channel and PostgreSQL notification channel alike
RECONNECT_DELAY_S = 1.0

_redis_lock = threading.Lock()
_redis_client = None


def _use_postgres() -> bool:
    return connections["default"].vendor == "postgresql"


def _local_directory() -> Path | None:
    """SQLite: the directory of the gateways' wake-up sockets, beside the database file (None in memory)."""
    if connections["default"].vendor != "sqlite":
        return None
    name = str(connections["default"].settings_dict["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(f"{name}.relays")


def notify_gateways() -> None:
    """Called after a commit in a process with no relay of its own; never raises."""
    try:
        if settings.REDIS_URL:
            _sync_redis().publish(CHANNEL, b"")
        elif _use_postgres():
            with connection.cursor() as cursor:
                cursor.execute(f"NOTIFY {CHANNEL}")
        else:
            _notify_local()
    except Exception:
        log.warning("could not wake the gateways' relays; they will find the events at their next poll", exc_info=True)


def _sync_redis():
    global _redis_client
    with _redis_lock:
        if _redis_client is None:
            import redis

            _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        return _redis_client


def _notify_local() -> None:
    directory = _local_directory()
    if directory is None or not directory.is_dir():
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        for path in directory.glob("*.sock"):
            try:
                sender.sendto(b"w", str(path))
            except (ConnectionRefusedError, FileNotFoundError):
                path.unlink(missing_ok=True)  # its gateway is gone
            except BlockingIOError:
                pass  # wake-ups queued already
    try:
        directory.rmdir()  # every gateway of this database is gone (killed, so it could not clean up)
    except OSError:
        pass


async def listen(on_wake: Callable[[], None]) -> None:
    """Calls `on_wake` for every wake-up, reconnecting after failures, until cancelled."""
    if not settings.REDIS_URL and not _use_postgres() and _local_directory() is None:
        return  # an in-memory database: one process, nobody to wake it
    while True:
        try:
            if settings.REDIS_URL:
                await _listen_redis(on_wake)
            elif _use_postgres():
                await _listen_postgres(on_wake)
            else:
                await _listen_local(on_wake)
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


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, on_wake: Callable[[], None]):
        self.on_wake = on_wake

    def datagram_received(self, data, addr) -> None:
        self.on_wake()


async def _listen_local(on_wake: Callable[[], None]) -> None:
    directory = _local_directory()
    assert directory is not None  # listen() returns early for an in-memory database
    directory.mkdir(exist_ok=True)
    # One socket per event loop (tests run a hub per loop in one process).
    path = directory / f"{os.getpid()}-{id(asyncio.get_running_loop())}.sock"
    path.unlink(missing_ok=True)
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _Datagrams(on_wake), local_addr=str(path), family=socket.AF_UNIX
    )
    try:
        on_wake()
        await asyncio.Future()  # until cancelled
    finally:
        transport.close()
        path.unlink(missing_ok=True)
        try:
            directory.rmdir()  # the last gateway of this database leaves nothing behind
        except OSError:
            pass
