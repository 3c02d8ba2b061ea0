"""Sockets that close under the server: a write to one fails as daphne's fails (autobahn's Disconnected).

Between a client's close frame and daphne telling the application, every write to that socket raises.
Such a failure ends that one connection: every other subscriber still gets every event, in order,
and the connection's place in the per-account limit and its subscriptions are given back.
"""

from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from autobahn.exception import Disconnected
from channels.testing import WebsocketCommunicator
from django.db import transaction

from cantondex.asgi import application
from streams.hub import get_hub
from streams.publishing import publish
from streams.registry import group_name
from tests.conftest import token_for
from tests.support.ws import CommunicatorTransport, ConnectionClosed, WsClient
from trading.events import OrderbookUpdate, PriceUpdate

pytestmark = pytest.mark.django_db(transaction=True)

SYMBOL = "AAPL/USDC"


class ClosingSockets:
    """The ASGI application behind sockets a test closes underneath the server.

    A closed socket fails every text frame written to it, as autobahn does once the client has begun
    to close; the close frame still goes through (autobahn ignores it). `close_at_write(n)` closes
    whichever socket the server writes the n-th text frame to from then on, so the failure lands in
    the middle of a fan-out whatever order the server takes the sockets in.
    """

    def __init__(self):
        self.closed: set[int] = set()
        self.countdown: int | None = None

    def close_at_write(self, n: int) -> None:
        self.countdown = n

    def close_now(self, client: WsClient) -> None:
        self.closed.add(id(client.transport.communicator))  # type: ignore[attr-defined]  # in process

    def app(self, socket_id: list[int]):
        async def app(scope, receive, send):
            async def send_or_fail(message):
                if message["type"] == "websocket.send":
                    if self.countdown is not None:
                        self.countdown -= 1
                        if self.countdown == 0:
                            self.closed.add(socket_id[0])
                    if socket_id[0] in self.closed:
                        raise Disconnected("Attempt to send on a closed protocol")
                await send(message)

            await application(scope, receive, send_or_fail)

        return app


@pytest.fixture
async def closing(ws):
    """Opens authenticated clients on ClosingSockets; closes them before `ws` stops the hub."""
    sockets = ClosingSockets()
    opened: list[WsClient] = []

    async def connect(user) -> WsClient:
        socket_id: list[int] = []
        communicator = WebsocketCommunicator(sockets.app(socket_id), "/v1/ws")
        socket_id.append(id(communicator))
        connected, _ = await communicator.connect()
        assert connected
        client = WsClient(CommunicatorTransport(communicator))
        opened.append(client)
        reply = await client.request({"type": "auth", "token": token_for(user)})
        assert reply["status"] == "authenticated", reply
        return client

    connect.sockets = sockets  # type: ignore[attr-defined]  # the test reaches the sockets through the fixture
    yield connect
    for client in opened:
        await client.close()


async def market_data_subscriber(closing, user, aggregation: str) -> WsClient:
    client = await closing(user)
    reply = await client.request({"type": "subscribe", "channel": "market_data", "symbols": [SYMBOL], "aggregation": aggregation})
    assert reply["status"] == "subscribed", reply
    await client.wait_for("price_update", snapshot=True)  # the snapshot's last message
    return client


def publish_book_change(quantity: str) -> None:
    """One commit, so one run on the stream: an orderbook_update then a price_update."""
    with transaction.atomic():
        publish(event=OrderbookUpdate.of(SYMBOL, {"bids": [(Decimal("1.00"), Decimal(quantity))], "asks": []}), key=SYMBOL)
        publish(event=PriceUpdate.of(SYMBOL, Decimal("1.00"), None, None), key=SYMBOL)


async def live_events(client: WsClient, count: int) -> list[tuple[str, int, object]]:
    """The next `count` market data events: (type, sequence, bids changed)."""
    events: list[tuple[str, int, Any]] = []
    while len(events) < count:
        message = await client.next()
        if message["type"] in ("orderbook_update", "price_update"):
            events.append((message["type"], message["sequence"], message.get("changes", {}).get("bids")))
    return events


async def events_or_close(client: WsClient, count: int) -> list[tuple[str, int, object]] | int:
    """The next `count` market data events, or the close code if the server closes the socket first."""
    try:
        return await live_events(client, count)
    except ConnectionClosed as closed:
        return closed.code


@pytest.mark.parametrize("aggregation", ["raw", "100ms"])
async def test_a_socket_closing_mid_fan_out_costs_the_others_nothing(closing, make_user, markets, aggregation):
    """The hub writes a run socket by socket (a coalescer its flush, message by message): the second write of
    it fails, so on the first socket taken, and every other subscriber still gets the whole run."""
    users = await sync_to_async(lambda: [make_user() for _ in range(4)])()
    clients = [await market_data_subscriber(closing, user, aggregation) for user in users]

    closing.sockets.close_at_write(2)
    await sync_to_async(publish_book_change)("5")
    outcomes = [await events_or_close(client, 2) for client in clients]
    assert outcomes.count(1011) == 1, outcomes  # the socket that failed is closed: it must not read past a gap
    runs = [outcome for outcome in outcomes if not isinstance(outcome, int)]
    (first_type, first_seq, bids), (second_type, second_seq, _) = runs[0]
    assert (first_type, second_type, second_seq) == ("orderbook_update", "price_update", first_seq + 1), runs[0]
    assert bids == [{"price": Decimal("1.00"), "quantity": Decimal("5"), "action": "update"}]
    assert runs == [runs[0]] * 3, runs  # the same events under the same numbers for every other subscriber

    # The stream goes on where it was, for everyone else.
    await sync_to_async(publish_book_change)("7")
    healthy = [client for client, outcome in zip(clients, outcomes, strict=True) if outcome != 1011]
    for client in healthy:
        (_, seq, bids), _ = await live_events(client, 2)
        assert seq == second_seq + 1 and bids == [{"price": Decimal("1.00"), "quantity": Decimal("7"), "action": "update"}]


async def test_a_consumer_that_fails_gives_back_its_place_and_its_subscriptions(closing, authed, settings, trader):
    settings.CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT = 1
    client = await closing(trader)
    reply = await client.request({"type": "subscribe", "channel": "orders"})
    assert reply["status"] == "subscribed", reply
    hub = await get_hub()
    assert group_name("orders", trader.account.id) in hub.streams

    # The client begins to close as the server answers its ping: the consumer's own write fails and
    # ends it, with no websocket.disconnect to come (daphne closes the socket with 1011).
    closing.sockets.close_now(client)
    await client.send({"type": "ping"})
    with pytest.raises(Disconnected):
        await client.next()

    assert group_name("orders", trader.account.id) not in hub.streams
    assert trader.id not in hub.users
    await authed(trader)  # the account's only place is free again

