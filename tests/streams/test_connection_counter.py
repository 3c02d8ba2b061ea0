"""The cluster-wide connection counter on a real Redis server."""

import asyncio
import time
from urllib.parse import urlparse, urlunparse

import pytest

from streams import limits
from streams.limits import GATEWAYS_KEY, RedisConnectionCounter

OWNER = "acc_counter_test"
# Not the suite's database 0: other test runs count connections there at the same time.
COUNTER_DB = 13


@pytest.fixture
def counter_redis_url(require_redis):
    return urlunparse(urlparse(require_redis)._replace(path=f"/{COUNTER_DB}"))


@pytest.fixture
async def gateways(counter_redis_url):
    """Makes counters as separate gateway processes would have them; closes them and clears their keys."""
    made: list[RedisConnectionCounter] = []

    def make() -> RedisConnectionCounter:
        made.append(RedisConnectionCounter(counter_redis_url))
        return made[-1]

    yield make
    await made[0].client.delete(made[0].key(OWNER), GATEWAYS_KEY)
    for counter in made:
        await counter.close()


@pytest.fixture
async def counter(gateways):
    return gateways()


async def test_the_limit_holds_and_a_released_place_is_free_again(counter):
    assert await counter.acquire(OWNER, "a", 2) and await counter.acquire(OWNER, "b", 2)
    assert not await counter.acquire(OWNER, "c", 2)
    await counter.release(OWNER, "a")
    assert await counter.acquire(OWNER, "c", 2)


async def test_live_connections_count_again_after_redis_forgot_them(counter):
    """A Redis restart without persistence empties the set; the next heartbeat refresh puts them back."""
    assert await counter.acquire(OWNER, "a", 1)
    await counter.client.delete(counter.key(OWNER), GATEWAYS_KEY)
    await counter.refresh(OWNER, "a")
    assert not await counter.acquire(OWNER, "b", 1), "the refreshed connection holds the only place"


async def test_the_limit_holds_across_gateways(gateways):
    first, second = gateways(), gateways()
    assert await first.acquire(OWNER, "a", 2) and await second.acquire(OWNER, "b", 2)
    assert not await first.acquire(OWNER, "c", 2) and not await second.acquire(OWNER, "c", 2)


class Clock:
    """The wall clock the counter reads (streams.limits.time), moved by the test instead of waited for."""

    def __init__(self):
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return time.monotonic()


async def heartbeat_seen(counter: RedisConnectionCounter, clock: Clock) -> None:
    """Waits for the gateway's next heartbeat: its expiry moves past the clock's current time."""
    async with asyncio.timeout(5):
        while (await counter.client.zscore(GATEWAYS_KEY, counter.gateway_id) or 0) <= clock.now:
            await asyncio.sleep(0.01)  # a poll of the condition; the heartbeat announces nothing


async def test_the_places_of_a_gateway_that_stops_heartbeating_are_free_within_its_ttl(gateways, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(limits, "time", clock)
    monkeypatch.setattr(limits, "GATEWAY_HEARTBEAT_S", 0.01)
    crashing, surviving = gateways(), gateways()
    assert await crashing.acquire(OWNER, "a", 2) and await crashing.acquire(OWNER, "b", 2)

    clock.now += 2 * limits.GATEWAY_TTL_S  # past its first expiry: only its heartbeats keep it counting
    await heartbeat_seen(crashing, clock)
    assert not await surviving.acquire(OWNER, "c", 2)

    crashing.stopping.set()  # stops heartbeating, as after a SIGKILL: no release, no goodbye
    await crashing.heartbeat
    assert not await surviving.acquire(OWNER, "c", 2), "counted until its last heartbeat runs out"
    clock.now += limits.GATEWAY_TTL_S + 0.1
    assert await surviving.acquire(OWNER, "c", 2) and await surviving.acquire(OWNER, "d", 2), (
        "both places of the dead gateway are free once its heartbeat ran out"
    )


async def test_a_gateway_that_stops_gives_back_its_places_at_once(gateways):
    stopping, staying = gateways(), gateways()
    assert await stopping.acquire(OWNER, "a", 1)
    await stopping.close()
    assert await staying.acquire(OWNER, "b", 1)
