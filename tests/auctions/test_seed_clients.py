"""Outside peers: the seed's (004) JavaScript `WebSocketClient` (under Node) and Python `AuctionWebSocket`, as the
guide gives them, follow a live auction on real daphne. Neither answers the JSON ping, so they stay connected
on the WebSocket's protocol pings (README, Heartbeat): the auction outlasts several JSON heartbeat intervals."""

import asyncio
import json
import os
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from auctions.services import bid_submit
from tests.auctions import seed_auction_client
from tests.auctions.conftest import ISSUE_BOOK
from tests.conftest import token_for
from tests.e2e.server import daphne_servers  # noqa: F401  (fixture)
from tests.support.node import JS_DIR, node  # noqa: F401  (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

READ_TIMEOUT_S = 30
# A JSON ping every 2 s (the rule before would close a silent client at the second) and daphne's protocol
# ping after 1 s without a client frame, so the auction below outlasts several of both.
SHORT_HEARTBEATS = {"CDX_WS_PING_INTERVAL_S": "2", "CDX_WS_PROTOCOL_PING_INTERVAL_S": "1", "CDX_WS_PROTOCOL_PING_TIMEOUT_S": "2"}
AUCTION_MS = 8000


@pytest.fixture
def server(daphne_servers):
    return daphne_servers.get(env=SHORT_HEARTBEATS)


class Received:
    """Messages a client got, as (type, payload; the message itself when it has none), with a way to wait for one."""

    def __init__(self):
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.changed = asyncio.Condition()

    async def add(self, kind: str, payload: dict[str, Any]) -> None:
        async with self.changed:
            self.messages.append((kind, payload))
            self.changed.notify_all()

    async def until(self, predicate: Callable[[list[tuple[str, dict[str, Any]]]], bool]) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: predicate(self.messages)), READ_TIMEOUT_S)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [payload for k, payload in self.messages if k == kind]


def count_of(kind: str, at_least: int) -> Callable[[list[tuple[str, dict[str, Any]]]], bool]:
    return lambda messages: sum(k == kind for k, _ in messages) >= at_least


async def node_lines(process, received: Received, logs: list[str]) -> None:
    """Read the Node harness: a JSON line per message, the seed class's own logs as plain lines."""
    while line := await process.stdout.readline():
        text = line.decode().strip()
        if text.startswith("{"):
            message = json.loads(text)["received"]
            await received.add(message["type"], message.get("payload") or message)
        else:
            logs.append(text)


async def test_the_seed_clients_follow_an_auction_through_several_heartbeats_to_its_clearing_price(node, server, new_auction, bidders):
    auction = await sync_to_async(new_auction)(duration_ms=AUCTION_MS, close_window_ms=500)
    token = await sync_to_async(token_for)(bidders[4])
    process = await asyncio.create_subprocess_exec(
        node, str(JS_DIR / "seed_auction_client.js"), server.ws_url, token, auction.id,
        cwd=JS_DIR, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NODE_PATH": str(JS_DIR / "node_modules")},
    )  # fmt: skip
    js, js_logs = Received(), list[str]()
    js_reader = asyncio.create_task(node_lines(process, js, js_logs))
    seed_auction_client.AUCTION_ID = auction.id
    python = Received()
    python_client = seed_auction_client.AuctionWebSocket(server.ws_url, token)
    for kind in ("auction_update", "new_bid", "auction_complete", "ping", "error"):

        async def record(payload, kind=kind):
            await python.add(kind, payload or {})

        python_client.on(kind, record)
    python_connection = asyncio.create_task(python_client.connect())
    try:
        # Both subscribed (their snapshots), the JavaScript one to the bids too; then the issue's book.
        await python.until(count_of("auction_update", 1))
        await js.until(lambda messages: any(k == "subscription_response" and p["channel"] == "bids" for k, p in messages))
        for bidder, (quantity, price) in zip(bidders, ISSUE_BOOK, strict=False):
            await sync_to_async(bid_submit)(account_id=bidder.account.id, auction_id=auction.id, quantity=D(quantity), price=D(price))

        await js.until(count_of("auction_complete", 1))
        await python.until(count_of("auction_complete", 1))
        for client in (js, python):
            # Three JSON pings unanswered: the rule for clients that answer them would have closed it at the second.
            assert len(client.of("ping")) >= 3, server.log()
            (complete,) = client.of("auction_complete")
            assert complete["auction_id"] == auction.id and D(str(complete["clearing_price"])) == D("152")
            updates = client.of("auction_update")
            assert (updates[0]["auction_id"], updates[0]["status"], updates[-1]["status"]) == (auction.id, "active", "completed")
            assert max(update["total_bids"] for update in updates) == len(ISSUE_BOOK)
            assert not client.of("error"), client.of("error")
        assert [(D(str(b["quantity"])), D(str(b["price"]))) for b in js.of("new_bid")] == [(D(q), D(p)) for q, p in ISSUE_BOOK]
        assert not python.of("new_bid")  # it subscribes to the auction channel only
        # Still there after the close: one more heartbeat each, still without answering.
        pings = len(js.of("ping")), len(python.of("ping"))
        await js.until(count_of("ping", pings[0] + 1))
        await python.until(count_of("ping", pings[1] + 1))
        assert js_logs == ["Connected"] and process.returncode is None
        assert not python_connection.done()
    finally:
        python_connection.cancel()
        if process.returncode is None:
            process.kill()
        await process.wait()
        js_reader.cancel()
