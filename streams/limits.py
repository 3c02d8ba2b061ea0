"""Per-connection message rate and the per-account connection limit (cluster-wide with Redis)."""

import asyncio
import contextlib
import contextvars
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


# A gateway process that has not heartbeated for this long is gone (killed, or its host): the
# connections it counted stop counting. Heartbeats come much more often, so a busy loop is not taken
# for a dead one; should it be, its live connections count again at their next refresh.
GATEWAY_TTL_S = 5.0
GATEWAY_HEARTBEAT_S = 1.0
GATEWAYS_KEY = "cdx:gateways"  # sorted set: gateway id -> when its heartbeat runs out (unix time)

# One round trip, atomic across every gateway process: note that this gateway is alive, drop the
# gateways that stopped heartbeating and the owner's entries that expired, and add the new entry only
# under the limit. Entries are "<gateway>:<connection>". Entries of gateways no longer alive are swept
# only when they could refuse a connection (the owner is at the limit): the common case costs a few
# O(log n) calls, not a walk over all of the owner's entries (one user with 1,000 sockets made every
# connect walk up to 1,000 entries).
# KEYS: the owner's entries, the gateways. ARGV: now, entry ttl, limit, entry, gateway, gateway ttl.
_ACQUIRE = """
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[6]), ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[4]) and redis.call('ZCARD', KEYS[1]) >= limit then
  local alive = {}
  for _, entry in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    local gateway = string.match(entry, '^[^:]*')
    if alive[gateway] == nil then
      alive[gateway] = redis.call('ZSCORE', KEYS[2], gateway) ~= false
    end
    if not alive[gateway] then
      redis.call('ZREM', KEYS[1], entry)
    end
  end
  if redis.call('ZCARD', KEYS[1]) >= limit then
    return 0
  end
end
redis.call('ZADD', KEYS[1], now + ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(ARGV[2]))
return 1
"""


class RedisConnectionCounter:
    """Counts an owner's connections across all gateway processes in a Redis sorted set.

    Each entry is tagged with the gateway process (event loop) that holds it, and that gateway
    heartbeats every second; an entry of a gateway silent for GATEWAY_TTL_S is discarded at the
    next count, so a killed process's places are free again within seconds. Each entry also expires
    unless its connection refreshes it at every heartbeat of the socket, which bounds what a live
    process could leak.
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
        self.gateway_id = uuid.uuid4().hex
        self.stopping = asyncio.Event()
        # In a context of its own, not that of the connection that happened to create the counter.
        self.heartbeat = asyncio.get_running_loop().create_task(
            self._heartbeat(), name="cdx-counter-heartbeat", context=contextvars.Context()
        )

    @property
    def ttl(self) -> float:
        return settings.CDX_WS_PING_INTERVAL_S * 3

    @staticmethod
    def key(owner: str) -> str:
        return f"cdx:connections:{owner}"

    def entry(self, connection_id: str) -> str:
        return f"{self.gateway_id}:{connection_id}"

    async def acquire(self, owner: str, connection_id: str, limit: int) -> bool:
        try:
            allowed = await self.acquire_script(
                keys=[self.key(owner), GATEWAYS_KEY],
                args=[time.time(), self.ttl, limit, self.entry(connection_id), self.gateway_id, GATEWAY_TTL_S],
            )
        except Exception:
            # Counting is a guard, not a gate: with Redis away, keep serving and say so.
            log.exception("connection counter unavailable; admitting %s", owner)
            return True
        return bool(allowed)

    async def refresh(self, owner: str, connection_id: str) -> None:
        try:
            # A plain ZADD (not XX): after a Redis restart without persistence the live sockets count again.
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.zadd(self.key(owner), {self.entry(connection_id): time.time() + self.ttl})
                pipe.expire(self.key(owner), math.ceil(self.ttl))
                await pipe.execute()
        except Exception:
            log.warning("could not refresh connection %s of %s", connection_id, owner)

    async def release(self, owner: str, connection_id: str) -> None:
        try:
            await self.client.zrem(self.key(owner), self.entry(connection_id))
        except Exception:
            log.warning("could not release connection %s of %s", connection_id, owner)

    async def close(self) -> None:
        """Stop heartbeating and say so: whatever this gateway still counts stops counting at once."""
        # Asked, not cancelled: a cancellation landing inside a redis-py command can be lost there.
        self.stopping.set()
        await self.heartbeat
        try:
            await self.client.zrem(GATEWAYS_KEY, self.gateway_id)
        except Exception:
            log.warning("could not deregister gateway %s; its entries expire in %.0fs", self.gateway_id, GATEWAY_TTL_S)
        await self.client.aclose()

    async def _heartbeat(self) -> None:
        reachable = True
        while not self.stopping.is_set():
            try:
                await self.client.zadd(GATEWAYS_KEY, {self.gateway_id: time.time() + GATEWAY_TTL_S})
                reachable = True
            except Exception:
                if reachable:  # once per outage, not every second
                    log.warning("connection counter: gateway heartbeat failed; retrying every %.0fs", GATEWAY_HEARTBEAT_S)
                reachable = False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(GATEWAY_HEARTBEAT_S):
                    await self.stopping.wait()


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
        await counter.close()


def new_connection_id() -> str:
    return uuid.uuid4().hex
