"""Relays of other processes are woken after a commit (Redis, PostgreSQL or a local socket), not by their poll."""

import asyncio
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.db import connections

from streams import wakeup

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_wake_up_from_a_process_without_a_relay_reaches_the_listener():
    woken = asyncio.Event()
    calls = 0

    def on_wake():
        nonlocal calls
        calls += 1
        woken.set()

    listener = asyncio.create_task(wakeup.listen(on_wake))
    try:
        async with asyncio.timeout(5):
            await woken.wait()  # the listener wakes once on (re)connecting: events committed meanwhile
        woken.clear()
        await database_sync_to_async(wakeup.notify_gateways)()
        async with asyncio.timeout(5):
            await woken.wait()
        assert calls == 2
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)


async def test_on_sqlite_a_gateway_that_is_gone_is_forgotten(settings):
    settings.REDIS_URL = ""
    if connections["default"].vendor != "sqlite":
        pytest.skip("SQLite only: Unix sockets beside the database file")
    stale = Path(f"{connections['default'].settings_dict['NAME']}.relays") / "1-1.sock"
    stale.parent.mkdir(exist_ok=True)
    stale.touch()  # a socket file whose gateway died without removing it
    await database_sync_to_async(wakeup.notify_gateways)()
    assert not stale.exists() and not stale.parent.exists()
