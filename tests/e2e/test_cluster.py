"""Two daphne processes on one Redis and one database: delivery, limits and sequences across processes,
resume without loss, and faults (a killed process, a Redis restart, a slow reader, a connection flood).

Every event of a continuous order flow is counted where it is caused (OrderFlow) and where it is
received (Follower); a stream must arrive whole: every sequence once, in order, as the log has it.
"""

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
import redis
from asgiref.sync import sync_to_async
from django.db import transaction

from accounts.roles import TRADER
from operations.events import MaintenanceNotice
from streams.protocol import CloseCode
from streams.publishing import publish, stream_sequence
from streams.registry import group_name
from tests.conftest import token_for
from tests.e2e.cluster import cluster, cluster_servers  # noqa: F401  (fixtures)
from tests.e2e.live import READ_TIMEOUT_S, SYMBOL, OrderFlow, authenticated, post_order
from tests.support.event_log import published
from tests.support.ws import ConnectionClosed, SocketTransport, WsClient
from trading.events import OrderCancelled
from trading.services import order_cancel

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ACCOUNT_STREAMS = ["orders", "account_notifications"]
REDIS_CATCH_UP_S = 10.0  # relays and hubs retry every second once Redis is back
NOTICE_START = datetime(2030, 1, 1, tzinfo=UTC)
# A killed process's connection places must be free in seconds (its heartbeat runs out after 5 s),
# not after the 90 s it took before the gateways heartbeat.
KILLED_PLACES_FREE_S = 20.0


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Overrides the suite's (which spares e2e tests): these make 100+ users and log in only with JWTs."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Follower:
    """One client's view of an account's streams across reconnections: every event received, per channel."""

    def __init__(self, user, channels: list[str]):
        self.user = user
        self.channels = channels
        self.events: dict[str, list[dict]] = {channel: [] for channel in channels}
        self.responses: list[dict] = []
        self.client: WsClient | None = None
        self.connections = 0

    def last(self, channel: str) -> int:
        got = self.events[channel]
        return got[-1]["sequence"] if got else 0

    async def connect(self, url: str, *, resume: bool = False) -> list[dict]:
        """Opens a socket, authenticates and subscribes (with `since` = the last sequence seen when resuming);
        returns the subscription responses."""
        self.client = await WsClient.open(url)
        self.connections += 1
        reply = await self.client.request({"type": "auth", "token": token_for(self.user)})
        assert reply["type"] == "auth_response" and reply["status"] == "authenticated", reply
        items = [
            {"channel": channel, **({"since": self.last(channel)} if resume else {})} for channel in self.channels
        ]
        await self.client.send({"type": "subscribe", "channels": items})
        first = len(self.responses)
        await self.read_until(lambda: len(self.responses) - first == len(self.channels))
        answers = self.responses[first:]
        assert all(r["type"] == "subscription_response" for r in answers), answers
        return answers

    async def read_until(self, done, timeout: float = READ_TIMEOUT_S) -> None:
        """Reads (answering the server's pings) until `done()` holds; ConnectionClosed if the socket goes."""
        assert self.client is not None, "connect() first"
        try:
            async with asyncio.timeout(timeout):
                while not done():
                    await self._take(self.client, await self.client.next(timeout))
        except TimeoutError:
            raise AssertionError(f"timed out; last sequences {self.lasts()}") from None

    async def _take(self, client: WsClient, message: dict) -> None:
        if message["type"] == "ping":
            await client.send({"type": "pong"})
        elif message["type"] in ("subscription_response", "error"):
            self.responses.append(message)
        elif message.get("channel") in self.events and "sequence" in message:
            self.events[message["channel"]].append(message)

    def lasts(self) -> dict[str, int]:
        return {channel: self.last(channel) for channel in self.channels}

    async def caught_up(self, targets: dict[str, int], timeout: float = READ_TIMEOUT_S) -> None:
        await self.read_until(lambda: all(self.last(c) >= seq for c, seq in targets.items()), timeout)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()


async def stream_heads(account_id: str, channels: list[str]) -> dict[str, int]:
    return await sync_to_async(lambda: {c: stream_sequence(channel=c, key=account_id) for c in channels})()


async def logged(channel: str, key: str, after: int = 0) -> list[dict]:
    """The events of one stream as the event log holds them, in sequence order."""

    return await sync_to_async(published)(channel, key, after=after)


async def assert_whole(follower: Follower, account_id: str, starts: dict[str, int]) -> None:
    """Each stream arrived whole: from at latest `starts` + 1 (an event committed just before subscribing may
    still come), every sequence once, in order, the same text as in the log, up to the stream's head."""
    for channel in follower.channels:
        got = follower.events[channel]
        sequences = [event["sequence"] for event in got]
        assert sequences and sequences[0] <= starts[channel] + 1, f"{channel}: the start is missing: {sequences[:5]}"
        expected = await logged(channel, account_id, after=sequences[0] - 1)
        assert sequences == [event["sequence"] for event in expected], f"{channel}: gap or duplicate: {sequences}"
        assert got == expected, f"{channel}: the events differ from the log"


async def follow_a_trading_account(cluster, make_trader, *, orders: int):
    """A new trader's client on process a following the account streams while an OrderFlow runs, once it
    has `orders` events on orders. Returns (trader, follower, flow, the stream heads before it all)."""
    trader = await make_trader()
    starts = await stream_heads(trader.account.id, ACCOUNT_STREAMS)
    follower = Follower(trader, ACCOUNT_STREAMS)
    await follower.connect(cluster.a.ws_url)
    flow = OrderFlow(trader.account.id).start()
    await follower.caught_up({"orders": orders})
    return trader, follower, flow, starts


async def assert_caught_up_exactly_once(follower, flow, account_id: str, starts: dict[str, int]) -> None:
    """Stops the flow: the follower gets every event it caused, exactly once, as the log holds them."""
    caused = await flow.stop()
    heads = await stream_heads(account_id, ACCOUNT_STREAMS)
    assert heads["orders"] == caused
    await follower.caught_up(heads)
    await assert_whole(follower, account_id, starts)
    assert len(follower.events["orders"]) == caused


def post_bid(base_url: str, user) -> dict:
    """A buy of 1 at 1.00 over REST: it rests (nobody sells that low)."""
    return post_order(base_url, user, symbol=SYMBOL, side="buy", quantity=1, price=D("1.00"))


# Across processes


async def test_a_client_on_one_process_gets_what_the_other_process_and_the_test_process_cause(cluster, make_trader):
    trader = await make_trader()
    account_id = trader.account.id
    watcher = Follower(trader, ["orders"])
    await watcher.connect(cluster.a.ws_url)

    placed = await asyncio.to_thread(post_bid, cluster.b.base_url, trader)  # REST on the other process
    await watcher.caught_up({"orders": 2})
    await sync_to_async(order_cancel)(order_id=placed["order_id"], account_id=account_id)  # the test process
    await watcher.caught_up({"orders": 3})
    got = [(event["sequence"], event["type"], event["order_id"]) for event in watcher.events["orders"]]
    assert got == [(1, "order_created", placed["order_id"]), (2, "order_updated", placed["order_id"]),
                   (3, "order_cancelled", placed["order_id"])]
    await assert_whole(watcher, account_id, {"orders": 0})
    await watcher.close()


async def test_each_stream_has_one_sequence_across_processes(cluster, make_trader):
    trader = await make_trader()
    account_id = trader.account.id
    starts = await stream_heads(account_id, ACCOUNT_STREAMS)
    on_a, on_b = Follower(trader, ACCOUNT_STREAMS), Follower(trader, ACCOUNT_STREAMS)
    await on_a.connect(cluster.a.ws_url)
    await on_b.connect(cluster.b.ws_url)

    flow = OrderFlow(account_id).start()
    await flow.reached(40)
    caused = await flow.stop()
    heads = await stream_heads(account_id, ACCOUNT_STREAMS)
    assert heads["orders"] == caused
    for follower in (on_a, on_b):
        await follower.caught_up(heads)
        await assert_whole(follower, account_id, starts)
        await follower.close()
    for channel, start in starts.items():  # the same events under the same numbers, byte for byte
        assert [e for e in on_a.events[channel] if e["sequence"] > start] == [
            e for e in on_b.events[channel] if e["sequence"] > start
        ], channel


async def test_the_connection_limit_holds_across_processes(cluster, make_trader):
    trader = await make_trader()  # CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT=3 on both processes
    held = [
        await authenticated(cluster.a.ws_url, trader),
        await authenticated(cluster.a.ws_url, trader),
        await authenticated(cluster.b.ws_url, trader),
    ]
    for server in (cluster.b, cluster.a):
        refused = await WsClient.open(server.ws_url)
        error = await refused.request({"type": "auth", "token": token_for(trader), "correlation_id": "over"})
        assert (error["type"], error["code"], error["details"]) == ("error", "CONNECTION_LIMIT", {"limit": 3, "closing": True})
        assert await refused.wait_closed() == CloseCode.CONNECTION_LIMIT

    # A closed socket frees its place, whichever process takes the next one.
    await held.pop(0).close()
    held.append(await authenticated(cluster.b.ws_url, trader))
    for client in held:
        await client.close()


# Resume


async def test_a_client_cut_off_resumes_on_the_other_process_without_loss(cluster, make_trader):
    trader, follower, flow, starts = await follow_a_trading_account(cluster, make_trader, orders=20)
    account_id = trader.account.id
    await follower.close()  # cut off; the flow goes on
    away_from = follower.last("orders")
    await flow.reached(away_from + 60)

    answers = await follower.connect(cluster.b.ws_url, resume=True)
    for answer in answers:
        assert answer["recovered"] is True and answer["replayed"] >= 0, answer
    assert answers[0]["channel"] == "orders" and answers[0]["replayed"] >= 60, answers[0]
    await flow.reached(flow.caused + 20)  # and live again on the new process
    await assert_caught_up_exactly_once(follower, flow, account_id, starts)
    await follower.close()


async def test_resume_beyond_the_window_or_ahead_says_how_to_resync(cluster, make_trader):
    trader = await make_trader()
    account_id = trader.account.id

    def publish_many(count: int) -> None:
        with transaction.atomic():
            for n in range(count):
                publish(event=OrderCancelled(
                    account_id=account_id, order_id=f"ord_{n:016x}", reason="user_requested"), key=account_id)

    await sync_to_async(publish_many)(1005)  # more than CDX_WS_REPLAY_MAX_EVENTS (1000)
    client = await authenticated(cluster.b.ws_url, trader)
    for since, reason in ((1, "window_exceeded"), (2000, "ahead")):
        reply = await client.request({"type": "subscribe", "channel": "orders", "since": since})
        assert reply["type"] == "subscription_response" and reply["status"] == "subscribed", reply
        assert reply["recovered"] is False and reply["reason"] == reason and reply["sequence"] == 1005, reply
        assert isinstance(reply["resync"], str) and reply["resync"], reply
        await client.request({"type": "unsubscribe", "channel": "orders"})

    # Within the window: exactly the missed events, the original messages.
    reply = await client.request({"type": "subscribe", "channel": "orders", "since": 1002})
    assert (reply["recovered"], reply["replayed"]) == (True, 3), reply
    replayed = [await client.next() for _ in range(3)]
    assert replayed == await logged("orders", account_id, after=1002)
    await client.close()


# Faults


async def test_clients_of_a_killed_process_resume_on_the_other_without_loss(cluster, make_trader):
    trader, follower, flow, starts = await follow_a_trading_account(cluster, make_trader, orders=20)
    account_id = trader.account.id

    cluster.kill(cluster.a)
    with pytest.raises(ConnectionClosed):
        await follower.read_until(lambda: False)
    await flow.reached(follower.last("orders") + 30)
    answers = await follower.connect(cluster.b.ws_url, resume=True)
    assert all(answer["recovered"] is True for answer in answers), answers
    await flow.reached(flow.caused + 20)
    await assert_caught_up_exactly_once(follower, flow, account_id, starts)
    await follower.close()


async def test_the_places_of_a_killed_process_are_free_on_the_other_within_seconds(cluster, make_trader):
    trader = await make_trader()  # CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT=3 on both processes
    held = [await authenticated(cluster.a.ws_url, trader) for _ in range(3)]

    async def admitted(url: str) -> WsClient | None:
        client = await WsClient.open(url)
        reply = await client.request({"type": "auth", "token": token_for(trader)})
        if reply["type"] == "error" and reply["code"] == "CONNECTION_LIMIT":
            await client.close()
            return None
        assert reply["type"] == "auth_response" and reply["status"] == "authenticated", reply
        return client

    cluster.kill(cluster.a)  # its three places were taken; nobody will give them back
    on_b: list[WsClient] = []
    try:
        async with asyncio.timeout(KILLED_PLACES_FREE_S):
            while True:  # the whole quota at once, then what is still missing, until all are in
                tries = await asyncio.gather(*(admitted(cluster.b.ws_url) for _ in range(3 - len(on_b))))
                on_b += [client for client in tries if client is not None]
                if len(on_b) == 3:
                    break
                await asyncio.sleep(0.2)  # a poll interval: nothing announces when a heartbeat runs out
    except TimeoutError:
        raise AssertionError(f"{len(on_b)}/3 admitted on b {KILLED_PLACES_FREE_S:g}s after a was killed") from None
    for client in held + on_b:
        await client.close()


async def test_a_process_given_sigterm_hands_its_clients_to_the_other_at_once_without_loss(cluster, make_trader):
    trader = await make_trader()  # CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT=3: at the limit over both processes
    account_id = trader.account.id
    starts = await stream_heads(account_id, ["orders"])
    on_a = [Follower(trader, ["orders"]), Follower(trader, ["orders"])]
    on_b = Follower(trader, ["orders"])
    for follower in on_a:
        await follower.connect(cluster.a.ws_url)
    await on_b.connect(cluster.b.ws_url)
    flow = OrderFlow(account_id).start()
    for follower in on_a:
        await follower.caught_up({"orders": 10})

    cluster.terminate(cluster.a)  # while the flow goes on
    for follower in on_a:
        with pytest.raises(ConnectionClosed) as closed:
            await follower.read_until(lambda: False)
        assert closed.value.code == CloseCode.SERVICE_RESTART, cluster.logs()
        told = follower.responses[-1]
        assert told["code"] == "CONNECTION_CLOSED" and told["details"] == {"reason": "server_restart", "closing": True}
    with pytest.raises(ConnectionRefusedError):  # it took no new connection once it began to drain
        socket.create_connection(("127.0.0.1", cluster.a.port), timeout=READ_TIMEOUT_S).close()

    # At once, not after a heartbeat runs out: a's places were given back, so all three fit on b.
    for follower in on_a:
        answers = await follower.connect(cluster.b.ws_url, resume=True)
        assert all(answer["recovered"] is True for answer in answers), answers
    await flow.reached(flow.caused + 20)  # and events keep coming after the drain
    caused = await flow.stop()
    heads = await stream_heads(account_id, ["orders"])
    assert heads["orders"] == caused
    for follower in [*on_a, on_b]:  # whatever was published before, during and after the drain: every one, once
        await follower.caught_up(heads)
        await assert_whole(follower, account_id, starts)
        await follower.close()
    assert await asyncio.to_thread(cluster.exit_code, cluster.a) == 0, cluster.logs()


async def test_a_redis_restart_loses_nothing_on_durable_streams(cluster, make_trader):
    trader, follower, flow, starts = await follow_a_trading_account(cluster, make_trader, orders=10)
    account_id = trader.account.id

    cluster.redis_stop()
    await flow.reached(flow.caused + 40)  # committed while Redis is away: the relay must hold them
    cluster.redis_start()  # empty: no groups, no channels, no connection counts
    await flow.reached(flow.caused + 20)
    caused = await flow.stop()
    heads = await stream_heads(account_id, ACCOUNT_STREAMS)

    try:
        await follower.caught_up(heads, timeout=REDIS_CATCH_UP_S)
    except ConnectionClosed:  # a client may also lose its socket; then it resumes, on either process
        await follower.connect(cluster.b.ws_url, resume=True)
        await follower.caught_up(heads)
    await assert_whole(follower, account_id, starts)
    assert len(follower.events["orders"]) == caused

    # The processes survived, their hubs are back in the groups, and new subscribers are served.
    assert cluster.a.process.poll() is None and cluster.b.process.poll() is None, cluster.logs()
    layer = redis.Redis.from_url(cluster.redis.url)
    try:
        # redis-py types every command as sync-or-async; this client is the synchronous one.
        assert layer.zcard(f"asgi:group:{group_name('orders', account_id)}") >= 1  # type: ignore[operator]
    finally:
        layer.close()
    newcomer = Follower(trader, ["orders"])
    await newcomer.connect(cluster.b.ws_url)
    placed = await asyncio.to_thread(post_bid, cluster.a.base_url, trader)
    for client in (follower, newcomer):
        await client.caught_up({"orders": caused + 1})
        assert client.events["orders"][-1]["order_id"] == placed["order_id"]
        await client.close()


async def test_a_client_that_does_not_read_cannot_grow_the_server_without_bound(cluster, make_user):
    traders = await sync_to_async(lambda: [make_user(TRADER) for _ in range(8)])()
    slow = []
    for trader in traders[:7]:
        for _ in range(3):
            # max_queue=1: the client library stops reading at once, so the server's writes back up.
            client = await WsClient.open(cluster.a.ws_url, max_queue=1)
            assert (await client.request({"type": "auth", "token": token_for(trader)}))["status"] == "authenticated"
            await client.send({"type": "subscribe", "channel": "system_health"})
            await client.wait_for("subscription_response", status="subscribed")
            slow.append(client)
    # A client that reads, on the same process: once it has every event, the process has sent them all.
    fast = Follower(traders[7], ["system_health"])
    await fast.connect(cluster.a.ws_url)
    start = await sync_to_async(stream_sequence)(channel="system_health")
    before_kb = cluster.rss_kb(cluster.a)

    events, size = 1000, 20_000  # 20 MB of events for each of 21 sockets: 400 MB if nothing bounds it

    def publish_big_notices() -> None:
        with transaction.atomic():
            for n in range(events):
                publish(event=MaintenanceNotice(
                    service="matching_engine", start_time=NOTICE_START, end_time=NOTICE_START + timedelta(hours=1),
                    description=f"{n} " + "x" * size))

    reading = asyncio.ensure_future(fast.caught_up({"system_health": start + events}))
    await sync_to_async(publish_big_notices)()
    await reading
    grown_mb = (cluster.rss_kb(cluster.a) - before_kb) / 1024
    for client in slow:
        assert isinstance(client.transport, SocketTransport)
        client.transport.abort()  # a close handshake would wait behind megabytes of unread events
    await fast.close()
    assert grown_mb < 200, f"daphne grew by {grown_mb:.0f} MB for 21 sockets that do not read"


async def test_a_flood_of_connections_is_served(cluster, make_user):
    traders = await sync_to_async(lambda: [make_user(TRADER) for _ in range(100)])()

    async def connect_and_subscribe(n: int) -> WsClient:
        client = await WsClient.open((cluster.a if n % 2 else cluster.b).ws_url)
        clients.append(client)
        reply = await client.request({"type": "auth", "token": token_for(traders[n // 3])}, timeout=30)
        assert reply.get("status") == "authenticated", reply
        await client.send({"type": "subscribe", "channel": "system_health"})
        await client.wait_for("subscription_response", timeout=30, status="subscribed")
        return client

    clients: list[WsClient] = []
    try:
        served = await asyncio.gather(*(connect_and_subscribe(n) for n in range(300)), return_exceptions=True)
        failures = [outcome for outcome in served if not isinstance(outcome, WsClient)]
        assert not failures, f"{len(failures)} of 300 not served, e.g. {failures[:3]}"
    finally:
        await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)
