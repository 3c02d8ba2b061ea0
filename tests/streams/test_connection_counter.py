"""The cluster-wide connection counter on a real Redis server."""

import pytest

from streams.limits import RedisConnectionCounter


@pytest.fixture
async def counter(require_redis):
    counter = RedisConnectionCounter(require_redis)
    yield counter
    await counter.client.delete(counter.key("acc_counter_test"))
    await counter.client.aclose()


async def test_the_limit_holds_and_a_released_place_is_free_again(counter):
    owner = "acc_counter_test"
    assert await counter.acquire(owner, "a", 2) and await counter.acquire(owner, "b", 2)
    assert not await counter.acquire(owner, "c", 2)
    await counter.release(owner, "a")
    assert await counter.acquire(owner, "c", 2)


async def test_live_connections_count_again_after_redis_forgot_them(counter):
    """A Redis restart without persistence empties the set; the next heartbeat refresh puts them back."""
    owner = "acc_counter_test"
    assert await counter.acquire(owner, "a", 1)
    await counter.client.delete(counter.key(owner))
    await counter.refresh(owner, "a")
    assert not await counter.acquire(owner, "b", 1), "the refreshed connection holds the only place"
