"""One simulated trader: a persistent HTTP/1.1 connection posting limit orders, and a WebSocket
(JWT auth, subscribed to its own `orders` and `trades` streams) that answers the server's `ping`.

Two threads per trader (stdlib http.client and websockets' sync client); every time is
time.perf_counter() of this one process, so a send and a receipt compare directly.

Prices: a mid of 100 on every market. Even traders buy, odd traders sell, so nobody crosses their
own orders (self-trade prevention would cancel them). Each trader alternates a passive order (buy
99, sell 101: rests) and an aggressive one (buy 101, sell 99: takes the best resting order of the
other side), so about half the orders fill on arrival and the other half rest until one does.
"""

import http.client
import json
import threading
import time
from dataclasses import dataclass, field

from bench.orders.traders import Trader

MID, SPREAD = 100, 1
CONNECT_TIMEOUT_S = 30.0
HTTP_TIMEOUT_S = 120.0
ERROR_CHARS = 160  # of a failed answer's body, kept for the report


@dataclass
class Plan:
    symbols: list[str]
    orders_per_client: int | None  # None: until `seconds` have passed
    seconds: float | None
    rate: float | None  # orders per second, all clients together; None: as fast as answers come
    clients: int


@dataclass
class Request:
    sent_at: float
    answered_at: float | None = None
    status: int | None = None  # HTTP status; None when no answer came
    order_id: str | None = None
    error: str = ""


@dataclass
class SocketLog:
    events: list[tuple[float, dict]] = field(default_factory=list)  # (received at, message) on orders/trades
    other: list[dict] = field(default_factory=list)  # errors and anything else not answered here
    pings: int = 0
    closed_early: str = ""


def order_body(index: int, number: int, plan: Plan) -> dict:
    side = "buy" if index % 2 == 0 else "sell"
    aggressive = number % 2 == 1
    above = (side == "buy") == aggressive  # an aggressive buy and a passive sell sit above the mid
    return {
        # A passive order and the aggressive one after it go to the same market, then the next market.
        "symbol": plan.symbols[(index // 2 + number // 2) % len(plan.symbols)],
        "side": side,
        "order_type": "limit",
        "quantity": 1,
        "price": MID + SPREAD if above else MID - SPREAD,
    }


class TraderLoad:
    def __init__(self, *, index: int, trader: Trader, http_port: int, ws_url: str, plan: Plan):
        self.index, self.trader, self.http_port, self.ws_url, self.plan = index, trader, http_port, ws_url, plan
        self.requests: list[Request] = []
        self.http_connections = 0  # TCP connections opened for HTTP: 1 while keep-alive holds
        self.socket = SocketLog()
        self.subscribed = threading.Event()
        self.socket_error = ""
        self._stop_socket = threading.Event()
        self._socket_thread = threading.Thread(target=self._listen, name=f"ws-{index}", daemon=True)
        self._order_thread: threading.Thread | None = None

    # The WebSocket

    def connect(self) -> None:
        self._socket_thread.start()

    def _listen(self) -> None:
        from websockets.exceptions import ConnectionClosed
        from websockets.sync.client import connect

        try:
            with connect(self.ws_url, compression=None, open_timeout=CONNECT_TIMEOUT_S, max_size=None) as ws:
                self._handshake(ws)
                self.subscribed.set()
                while not self._stop_socket.is_set():
                    try:
                        text = ws.recv(timeout=0.2)
                    except TimeoutError:
                        continue
                    self._on_message(ws, time.perf_counter(), json.loads(text))
        except ConnectionClosed as closed:
            self.socket.closed_early = f"closed by the server: {closed}"
        except Exception as error:  # reported, and the run fails, rather than a thread dying silently
            self.socket_error = f"{type(error).__name__}: {error}"
        finally:
            self.subscribed.set()  # never leave the starter waiting on a socket that failed

    def _handshake(self, ws) -> None:
        ws.send(json.dumps({"type": "auth", "token": self.trader.token}))
        answer = self._next(ws, "auth_response")
        if answer.get("status") != "authenticated":
            raise RuntimeError(f"auth refused: {answer}")
        ws.send(json.dumps({"type": "subscribe", "channels": [
            {"channel": "orders", "account_id": self.trader.account_id},
            {"channel": "trades", "account_id": self.trader.account_id},
        ]}))
        for _ in range(2):
            answer = self._next(ws, "subscription_response")
            if answer.get("status") != "subscribed":
                raise RuntimeError(f"subscription refused: {answer}")

    def _next(self, ws, kind: str) -> dict:
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while True:
            message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("type") == kind:
                return message
            self._on_message(ws, time.perf_counter(), message)

    def _on_message(self, ws, received_at: float, message: dict) -> None:
        if message.get("type") == "ping":
            # The protocol closes a socket that stays silent after a server ping.
            ws.send(json.dumps({"type": "pong", "timestamp": message.get("timestamp")}))
            self.socket.pings += 1
        elif message.get("channel") in ("orders", "trades"):
            self.socket.events.append((received_at, message))
        else:
            self.socket.other.append(message)

    def close_socket(self) -> None:
        self._stop_socket.set()
        self._socket_thread.join(timeout=10)

    # The orders

    def start_orders(self, start_at: float) -> None:
        self._order_thread = threading.Thread(target=self._post_orders, args=(start_at,), name=f"http-{self.index}", daemon=True)
        self._order_thread.start()

    def join_orders(self) -> None:
        if self._order_thread is not None:
            self._order_thread.join()

    def _post_orders(self, start_at: float) -> None:
        interval = self.plan.clients / self.plan.rate if self.plan.rate else 0.0
        # Clients start spread over one interval, not all at the same instant.
        first = start_at + interval * self.index / self.plan.clients
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=HTTP_TIMEOUT_S)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.trader.token}"}
        number = 0
        try:
            while self._more(number, start_at):
                if interval:
                    time.sleep(max(0.0, first + number * interval - time.perf_counter()))
                body = json.dumps(order_body(self.index, number, self.plan))
                self.requests.append(self._post(conn, body, headers))
                number += 1
        finally:
            conn.close()

    def _more(self, number: int, start_at: float) -> bool:
        if self.plan.orders_per_client is not None:
            return number < self.plan.orders_per_client
        assert self.plan.seconds is not None  # a plan has a number of orders or a duration
        return time.perf_counter() - start_at < self.plan.seconds

    def _post(self, conn: http.client.HTTPConnection, body: str, headers: dict) -> Request:
        if conn.sock is None:
            self.http_connections += 1
        request = Request(sent_at=time.perf_counter())
        try:
            conn.request("POST", "/v1/orders", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            request.answered_at = time.perf_counter()
            request.status = response.status
            if response.status == 201:
                request.order_id = json.loads(payload)["order_id"]
            else:
                request.error = " ".join(payload.decode(errors="replace").split())[:ERROR_CHARS]
        except (OSError, http.client.HTTPException) as error:
            request.error = f"{type(error).__name__}: {error}"
            conn.close()  # the next request opens a new connection (counted)
        return request
