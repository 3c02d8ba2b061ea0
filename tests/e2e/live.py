"""Real HTTP to a running server, a signed-in WebSocket client (tests.support.ws.WsClient) and an order flow
to follow with it."""

import asyncio
import threading
import urllib.error
import urllib.request
from decimal import Decimal as D
from email.message import Message

from django.db import connection

from kernel.json import dumps, loads
from tests.conftest import token_for
from tests.support.ws import WsClient
from trading.services import order_cancel, order_place

SYMBOL = "AAPL/USDC"
READ_TIMEOUT_S = 20.0


def http(url: str, method: str = "GET", *, user=None, body=None, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    """One request over real HTTP (as `user` with a JWT if given, `body` sent as JSON): the status, headers and body
    of the answer, an error status included."""
    headers = dict(headers or {})
    if user is not None:
        headers["Authorization"] = f"Bearer {token_for(user)}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=None if body is None else dumps(body).encode(), headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def post_order(base_url: str, user, **order) -> dict:
    """POST /v1/orders over real HTTP as `user` (a limit order unless `order` says otherwise); the created order."""
    status, _, body = http(f"{base_url}/v1/orders", "POST", user=user, body={"order_type": "limit", **order})
    assert status == 201, body
    return loads(body)


async def authenticated(url: str, user) -> WsClient:
    client = await WsClient.open(url)
    reply = await client.request({"type": "auth", "token": token_for(user)})
    assert reply["type"] == "auth_response" and reply["status"] == "authenticated", reply
    return client


class OrderFlow:
    """One trader placing and cancelling limit buys through trading.services, on a thread of the test process.

    A buy at 1.00 rests (nobody sells that low): placing it causes order_created and order_updated
    (open) on the trader's `orders` stream, cancelling it order_cancelled; `caused` counts them as they commit.
    """

    def __init__(self, account_id: str, pace_s: float = 0.01):
        self.account_id = account_id
        self.pace_s = pace_s  # a pause between cycles keeps the flow steady without hogging the database
        self.caused = 0
        self.error: BaseException | None = None
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="order-flow", daemon=True)

    def start(self) -> "OrderFlow":
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                order = order_place(
                    account_id=self.account_id, symbol=SYMBOL, side="buy", order_type="limit",
                    quantity=D("1"), price=D("1.00"),
                )
                self._count(2)
                order_cancel(order_id=order.id, account_id=self.account_id)
                self._count(1)
                self._stop.wait(self.pace_s)
        except BaseException as error:  # reported by stop(): a flow that died would look like lost events
            self.error = error
        finally:
            connection.close()
            with self._changed:
                self._changed.notify_all()

    def _count(self, events: int) -> None:
        with self._changed:
            self.caused += events
            self._changed.notify_all()

    async def reached(self, count: int, timeout: float = READ_TIMEOUT_S) -> None:
        """Waits until the flow has caused `count` events."""

        def wait() -> bool:
            with self._changed:
                return self._changed.wait_for(lambda: self.caused >= count or self.error is not None, timeout)

        assert await asyncio.to_thread(wait) and self.error is None, f"flow at {self.caused}/{count}: {self.error!r}"

    async def stop(self) -> int:
        """Stops the flow; returns how many order events it caused."""
        self._stop.set()
        await asyncio.to_thread(self._thread.join, READ_TIMEOUT_S)
        assert not self._thread.is_alive(), "the order flow did not stop"
        if self.error is not None:
            raise self.error
        return self.caused
