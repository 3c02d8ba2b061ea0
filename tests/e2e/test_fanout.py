"""Fan-out on a real daphne while other sockets close under it, at random points, gracefully or not.

A socket the client has begun to close fails every write until daphne learns it is gone (autobahn's
Disconnected). Whatever the closing sockets do, every subscriber that stays gets every event of
`market_data` and of an account's `orders`, in order, without a gap.
"""

import asyncio
import random

import pytest
from asgiref.sync import sync_to_async

from streams.publishing import stream_sequence
from tests.e2e.live import READ_TIMEOUT_S, SYMBOL, OrderFlow, authenticated
from tests.support.ws import WsClient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SUBSCRIBERS = 20
CLOSERS = 8  # sockets opened, subscribed and closed over and over while the order flow runs
CLOSES = 80  # at least this many closes, and ORDER_EVENTS order events, before the flow stops
ORDER_EVENTS = 150
STREAMS = {"orders": "", "market_data": SYMBOL}  # channel -> key; the account's key is the trader's
SUBSCRIBE = {"type": "subscribe", "channels": [{"channel": "orders"}, {"channel": "market_data", "symbols": [SYMBOL]}]}


@pytest.fixture
def server(daphne_servers):
    # One trader holds every socket: the subscribers and the closers follow the same streams. The limit
    # is far above what they hold at once: the connection counter is not what this tests.
    return daphne_servers.get(env={"CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT": "1000"})


async def subscribed(url: str, user) -> WsClient:
    client = await authenticated(url, user)
    await client.send(SUBSCRIBE)
    for _ in STREAMS:
        reply = await client.wait_for("subscription_response")
        assert reply["status"] == "subscribed", reply
    return client


class Subscriber:
    """A client that stays: the sequence of every live event it reads, per channel, answering pings."""

    def __init__(self, client: WsClient):
        self.client = client
        self.sequences: dict[str, list[int]] = {channel: [] for channel in STREAMS}
        self.heads: dict[str, int] | None = None  # known once the flow has stopped
        self.caught_up = asyncio.Event()

    async def read(self) -> None:
        while True:
            message = await self.client.next(READ_TIMEOUT_S)
            if message["type"] == "ping":
                await self.client.send({"type": "pong"})
            elif message.get("channel") in self.sequences and not message.get("snapshot"):
                self.sequences[message["channel"]].append(message["sequence"])
                self.check()

    def check(self) -> None:
        if self.heads is not None and all(self.last(c) >= head for c, head in self.heads.items()):
            self.caught_up.set()

    def last(self, channel: str) -> int:
        return self.sequences[channel][-1] if self.sequences[channel] else 0

    async def wait_caught_up(self, heads: dict[str, int]) -> None:
        self.heads = heads
        self.check()
        try:
            await asyncio.wait_for(self.caught_up.wait(), READ_TIMEOUT_S)
        except TimeoutError:
            raise AssertionError(f"not caught up to {heads}: last {[self.last(c) for c in heads]}") from None


class Closers:
    """Sockets following the same streams that close at random points: after reading 0 to 15 messages
    (replies, snapshot, live events), with a close handshake or by dropping the TCP connection."""

    def __init__(self, url: str, user):
        self.url = url
        self.user = user
        self.closes = {"handshake": 0, "abort": 0}
        self.enough = asyncio.Event()
        self.stopping = False

    async def run(self, seed: int) -> None:
        rng = random.Random(seed)
        while not self.stopping:
            client = await subscribed(self.url, self.user)
            try:
                for _ in range(rng.randrange(16)):
                    await client.next(timeout=1.0)
            except TimeoutError:
                pass  # no event for a while: close now
            how = rng.choice(("handshake", "abort"))
            if how == "abort":
                client.transport.abort()  # type: ignore[attr-defined]  # a SocketTransport (WsClient.open)
            else:
                await client.close()
            self.closes[how] += 1
            if sum(self.closes.values()) >= CLOSES:
                self.enough.set()


async def test_sockets_closing_during_fan_out_cost_the_others_no_event(server, make_trader):
    trader = await make_trader()
    keys = {channel: key or trader.account.id for channel, key in STREAMS.items()}

    def heads() -> dict[str, int]:
        return {channel: stream_sequence(channel=channel, key=key) for channel, key in keys.items()}

    starts = await sync_to_async(heads)()
    subscribers = [Subscriber(await subscribed(server.ws_url, trader)) for _ in range(SUBSCRIBERS)]
    reading = [asyncio.ensure_future(subscriber.read()) for subscriber in subscribers]
    closers = Closers(server.ws_url, trader)
    closing = [asyncio.ensure_future(closers.run(seed)) for seed in range(CLOSERS)]
    flow = OrderFlow(trader.account.id).start()
    try:
        await flow.reached(ORDER_EVENTS)
        await asyncio.wait_for(closers.enough.wait(), READ_TIMEOUT_S)
    finally:
        closers.stopping = True
        await flow.stop()
        await asyncio.gather(*closing)

    ends = await sync_to_async(heads)()
    for subscriber in subscribers:
        await subscriber.wait_caught_up(ends)
    for task in reading:
        task.cancel()
    await asyncio.gather(*reading, return_exceptions=True)
    for subscriber in subscribers:
        await subscriber.client.close()

    assert all(count >= 10 for count in closers.closes.values()), closers.closes
    for n, subscriber in enumerate(subscribers):
        for channel, sequences in subscriber.sequences.items():
            expected = list(range(starts[channel] + 1, ends[channel] + 1))
            assert sequences == expected, f"subscriber {n}, {channel}: missing {sorted(set(expected) - set(sequences))}"
