"""Per-connection message rate and the per-account connection limit (cluster-wide with Redis)."""

import asyncio
import logging
import math
import time
import uuid

from django.conf import settings

log = logging.getLogger(__name__)

REDIS_POOL_SIZE = 16


class RateLimiter:
    """A token bucket: `rate` messages a second, with bursts of up to `rate`."""

    __slots__ = ("rate", "stamp", "tokens")

    def __init__(self, rate: int):
        self.rate = rate
        self.tokens = float(rate)
        self.stamp = time.monotonic()

    def take(self) -> int:
        """0 if the message may pass, else how many milliseconds until it would."""
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0
        return max(1, int((1 - self.tokens) / self.rate * 1000 + 0.999))


class LocalConnectionCounter:
    """Counts one process's connections; used when there is no Redis (one process)."""

    def __init__(self):
        self.owners: dict[str, set[str]] = {}

    async def acquire(self, owner: str, connection_id: str, limit: int) -> bool:
        held = self.owners.setdefault(owner, set())
        if len(held) >= limit and connection_id not in held:
            return False
        held.add(connection_id)
        return True

    async def refresh(self, owner: str, connection_id: str) -> None:
        return None

    async def release(self, owner: str, connection_id: str) -> None:
        held = self.owners.get(owner)
        if held is not None:
            held.discard(connection_id)
            if not held:
                del self.owners[owner]


# Expired entries (a process that died) are swept before counting, and the new one is added only
# under the limit: one round trip, atomic across every gateway process.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[4]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[1] + ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(ARGV[2]))
return 1
"""


class RedisConnectionCounter:
    """Counts an owner's connections across all gateway processes in a Redis sorted set.

    Each entry expires unless its connection refreshes it at every heartbeat, so connections of a
    process that died stop counting after a few heartbeat intervals.
    """

    def __init__(self, url: str):
        import redis.asyncio as redis

        # A bounded pool that makes callers wait for a free connection: in a connection storm every
        # socket counts itself at once, and an unbounded pool opened a Redis connection for each.
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=REDIS_POOL_SIZE, timeout=5, socket_timeout=5, health_check_interval=30
        )
        self.client = redis.Redis.from_pool(pool)  # closes the pool with the client
        self.acquire_script = self.client.register_script(_ACQUIRE)

    @property
    def ttl(self) -> float:
        return settings.CDX_WS_PING_INTERVAL_S * 3

    @staticmethod
    def key(owner: str) -> str:
        return f"cdx:connections:{owner}"

    async def acquire(self, owner: str, connection_id: str, limit: int) -> bool:
        try:
            allowed = await self.acquire_script(keys=[self.key(owner)], args=[time.time(), self.ttl, limit, connection_id])
        except Exception:
            # Counting is a guard, not a gate: with Redis away, keep serving and say so.
            log.exception("connection counter unavailable; admitting %s", owner)
            return True
        return bool(allowed)

    async def refresh(self, owner: str, connection_id: str) -> None:
        try:
            # A plain ZADD (not XX): after a Redis restart without persistence the live sockets count again.
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.zadd(self.key(owner), {connection_id: time.time() + self.ttl})
                pipe.expire(self.key(owner), math.ceil(self.ttl))
                await pipe.execute()
        except Exception:
            log.warning("could not refresh connection %s of %s", connection_id, owner)

    async def release(self, owner: str, connection_id: str) -> None:
        try:
            await self.client.zrem(self.key(owner), connection_id)
        except Exception:
            log.warning("could not release connection %s of %s", connection_id, owner)


_counters: dict[asyncio.AbstractEventLoop, LocalConnectionCounter | RedisConnectionCounter] = {}


def connection_counter() -> LocalConnectionCounter | RedisConnectionCounter:
    # redis.asyncio clients belong to the loop that made them: one counter per event loop, keyed by the
    # loop itself, not its id (a freed loop's id is reused, and a dead loop's client fails open).
    loop = asyncio.get_running_loop()
    counter = _counters.get(loop)
    if counter is None:
        counter = _counters[loop] = (
            RedisConnectionCounter(settings.REDIS_URL) if settings.REDIS_URL else LocalConnectionCounter()
        )
    return counter


async def connection_counter_close() -> None:
    """Drop this event loop's counter and its Redis connections (stop_hub calls it before a loop closes)."""
    counter = _counters.pop(asyncio.get_running_loop(), None)
    if isinstance(counter, RedisConnectionCounter):
        await counter.client.aclose()


def new_connection_id() -> str:
    return uuid.uuid4().hex
