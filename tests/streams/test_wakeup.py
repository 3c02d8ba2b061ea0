"""Relays of other processes are woken after a commit through Redis or PostgreSQL, not by their poll."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connections

from streams import wakeup

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def needs_a_server():
    if not settings.REDIS_URL and connections["default"].vendor != "postgresql":
        pytest.skip("SQLite without Redis: one machine, relays poll")


async def test_a_wake_up_from_a_process_without_a_relay_reaches_the_listener(needs_a_server):
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


async def test_without_redis_or_postgresql_there_is_nothing_to_listen_to(settings):
    settings.REDIS_URL = ""
    if connections["default"].vendor == "postgresql":
        pytest.skip("PostgreSQL always has LISTEN")
    async with asyncio.timeout(1):
        await wakeup.listen(lambda: None)  # returns at once instead of listening forever
