"""The streaming client: one WebSocket that authenticates, keeps its subscriptions and loses no event.

Per stream (a channel of one account, one symbol of market data, a broadcast channel) it keeps the last
sequence delivered. After any break it reconnects with exponential backoff and jitter, authenticates with a
fresh token and subscribes again with `since` on durable streams: the server replays what was missed, the
client drops what it delivered already, and a gap in the numbers is treated as a broken connection.

Client messages that the server answers directly (order entry, bids) go through `request()`: the reply is
matched by `correlation_id` and returned to the caller, never yielded by the iteration.
"""

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import websockets

from . import exact_json
from .auth import ApiKeyAuth, AuthError, JwtAuth, Tokens
from .events import Connected, Disconnected, Event, ResyncRequired, ServerError, parse_event
from .rest import ApiError, Rest, order_body

log = logging.getLogger("cantondex_client")

# Streams the server can replay from its event log (`since`); the others are latest-state.
DURABLE = frozenset({"orders", "trades", "settlements", "account_notifications", "compliance_events", "system_health"})
# Durable channels that send their current state on subscribe (so a lost position heals by itself).
WITH_SNAPSHOT = frozenset({"system_health"})
ACCOUNT_CHANNELS = frozenset({"orders", "trades", "settlements", "account_notifications"})
# Close codes after which reconnecting cannot help: the user was disabled or the API key revoked.
FINAL_CLOSE_CODES = frozenset({4003})
# The correlation ids of `request()`: a reply carrying one is a caller's, never an event of the iteration.
REQUEST_PREFIX = "request-"


@dataclass(frozen=True, kw_only=True)
class Subscribed:
    """The server confirmed a subscription (after a reconnect too); `replayed` events were resent from its log."""

    channel: str
    key: str | None
    recovered: bool | None
    replayed: int


@dataclass
class _Stream:
    channel: str
    key: str | None  # account_id (None: the caller's own), symbol, or None on broadcast channels
    aggregation: str | None = None
    last: int | None = None  # the last sequence delivered to the application
    was_live: bool = False  # subscribed on an earlier connection

    @property
    def durable(self) -> bool:
        return self.channel in DURABLE


class _Reconnect(Exception):
    """This connection cannot go on (a gap, a silent server, a refused token): open another."""


class RequestError(Exception):
    """The server's `error` reply to a `request()`: a message it refused to handle (malformed, not allowed, over
    a rate). A business refusal is a reply instead (`order_rejected`, `bid_rejected`)."""

    def __init__(self, code: str, message: str, details: dict[str, Any]):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details


class NotConnectedError(ConnectionError):
    """A `request()` while no connection is open and authenticated (not started, reconnecting, closed): nothing was sent."""


class ConnectionLostError(ConnectionError):
    """The connection closed before the reply to a `request()`: the message may or may not have been applied."""


class Client:
    """Events of every subscribed stream, in order and exactly once, across reconnects.

        async with Client("http://127.0.0.1:8000", username="alice", password="...") as client:
            await client.subscribe("orders")
            order = await client.rest.place_order(symbol="AAPL/USDC", side="buy", quantity=Decimal("1"), price=Decimal("150"))
            async for event in client:
                print(event)

    Iterating yields typed events (`events.Event` subclasses), unknown event types as dicts, and the client's
    notices: `Connected`, `Disconnected`, `Subscribed`, `ResyncRequired`, `ServerError`. Once `Connected`,
    `place_order`, `cancel_order`, ... (and `request` for any client message) send on the socket and return its reply.
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        tokens: Tokens | None = None,
        api_key: str | None = None,
        ws_url: str | None = None,
        heartbeat_s: float = 15.0,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
    ):
        self.base_url = base_url.rstrip("/")
        self.ws_url = ws_url or self.base_url.replace("http", "ws", 1) + "/v1/ws"
        self.auth: JwtAuth | ApiKeyAuth
        if api_key is not None:
            self.auth = ApiKeyAuth(api_key)
        elif username is not None or tokens is not None:
            self.auth = JwtAuth(self.base_url, username=username, password=password, tokens=tokens)
        else:
            raise ValueError("give username and password, tokens, or api_key")
        self.rest = Rest(self.base_url, self.auth.authorization)
        self.heartbeat_s = heartbeat_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.account_id: str | None = None
        self.connections = 0  # connections authenticated so far (1 + reconnects)
        self.error: BaseException | None = None  # why the client stopped, when it stopped by itself
        self._streams: list[_Stream] = []
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._socket: Any = None
        self._runner: asyncio.Task | None = None
        self._correlation = itertools.count(1)
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}  # requests awaiting their reply, by correlation_id
        self._attempt = 0  # failed connections in a row, for the backoff
        self._last_heard = 0.0
        self._stopped = object()

    async def __aenter__(self) -> "Client":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    async def start(self) -> None:
        """Log in (REST) and start the connection in the background."""
        await self.auth.fresh()
        self._runner = asyncio.create_task(self._run(), name="cantondex-client")

    async def close(self) -> None:
        """Disconnect for good; iterations over the client end."""
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
            self._queue.put_nowait(self._stopped)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._events()

    async def _events(self) -> AsyncIterator[Any]:
        while True:
            item = await self._queue.get()
            if item is self._stopped:
                if self.error is not None:
                    raise self.error
                return
            yield item

    async def subscribe(self, channel: str, *, account_id: str | None = None, symbols: list[str] | None = None, aggregation: str | None = None) -> None:
        """Follow a channel (kept across reconnects). `account_id` for account channels (default: your own),
        `symbols` and `aggregation` (`raw`, `100ms`, `1s`) for market_data."""
        added = [_Stream(channel, symbol, aggregation) for symbol in symbols] if symbols else [_Stream(channel, account_id)]
        self._streams.extend(added)
        if self._socket is not None:
            await self._send({"type": "subscribe", "channels": _subscribe_items(added)})

    async def unsubscribe(self, channel: str, *, account_id: str | None = None, symbols: list[str] | None = None) -> None:
        keys: set[str | None] = set(symbols) if symbols else {account_id}
        self._streams = [s for s in self._streams if not (s.channel == channel and s.key in keys)]
        if self._socket is not None:
            message: dict[str, Any] = {"type": "unsubscribe", "channel": channel}
            if symbols:
                message["symbols"] = symbols
            elif account_id:
                message["account_id"] = account_id
            await self._send(message)

    # Requests: client messages answered directly

    async def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send a client message (`{"type": ..., ...}`) on the open connection and return the server's direct reply.

        The message goes out with a fresh `correlation_id`, and the reply that echoes it comes back here rather
        than through the iteration. An `error` reply raises `RequestError` (`code`, `message`, `details`).
        Not connected (not started, reconnecting, closed): `NotConnectedError` at once, nothing sent.

        Not retried: a connection lost before the reply raises `ConnectionLostError`, and the message may or may
        not have been applied. For an order, find out by its client_order_id (`rest.get_order_by_client_id`), or
        send the same place_order again: a used client_order_id is answered with the original order.
        """
        socket = self._socket
        if socket is None:
            raise NotConnectedError("not connected: the request was not sent")
        correlation_id = f"{REQUEST_PREFIX}{next(self._correlation)}"
        text = exact_json.dumps({**message, "correlation_id": correlation_id})
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = reply
        try:
            try:
                await socket.send(text)
            except websockets.ConnectionClosed:
                _lost(reply)  # closing while sending: whether the server read it is unknown
            return await reply
        finally:
            self._pending.pop(correlation_id, None)  # answered, lost, or abandoned by a cancelled caller

    async def place_order(
        self,
        *,
        symbol: str,
        side: str,
        quantity: Decimal,
        order_type: str = "limit",
        price: Decimal | None = None,
        client_order_id: str | None = None,
        time_in_force: str | None = None,
        post_only: bool | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """place_order on the socket, with the arguments of `rest.place_order`. The reply is `order_accepted` with
        `order` (as REST shows it) and `created` (False: a retry with a used client_order_id, answered with the
        original order, nothing placed), or `order_rejected` with `code`, `message`, `details`."""
        body = order_body(
            symbol=symbol, side=side, quantity=quantity, order_type=order_type, price=price, client_order_id=client_order_id,
            time_in_force=time_in_force, post_only=post_only, **extra,
        )
        return await self.request({"type": "place_order", **body})

    async def cancel_order(self, order_id: str) -> dict[str, Any]:
        """`order_accepted` with the cancelled `order`, or `order_rejected` (ORDER_NOT_FOUND, ORDER_NOT_OPEN)."""
        return await self.request({"type": "cancel_order", "order_id": order_id})

    async def cancel_all(self, symbol: str | None = None) -> dict[str, Any]:
        """Cancel every open order, or one market's: `order_accepted` with `cancelled` (order ids) and `count`."""
        message: dict[str, Any] = {"type": "cancel_all"}
        if symbol is not None:
            message["symbol"] = symbol
        return await self.request(message)

    async def cancel_all_after(self, timeout_s: int) -> dict[str, Any]:
        """The dead-man's switch: cancel all unless sent again within `timeout_s` seconds; 0 turns it off.
        `order_accepted` with `current_time` and `trigger_time` (None: off)."""
        return await self.request({"type": "cancel_all_after", "timeout_s": timeout_s})

    async def set_cancel_on_disconnect(self, enabled: bool) -> dict[str, Any]:
        """Enabled, the account's open orders are cancelled when this connection closes; False turns it off.
        `order_accepted` with `cancel_on_disconnect`. The server keeps it per connection: after a reconnect
        (`Connected` with `reconnect=True`) it is off until set again."""
        return await self.request({"type": "set_cancel_on_disconnect", "enabled": enabled})

    # The connection loop

    async def _run(self) -> None:
        try:
            while True:
                code, reason = None, "connect failed"
                try:
                    await self.auth.fresh()
                    async with websockets.connect(self.ws_url, ping_interval=None, max_size=None) as socket:
                        try:
                            await self._serve(socket)
                        finally:
                            self._socket = None
                            code, reason = socket.close_code, socket.close_reason or "closed"
                            self._lose_pending_requests()
                except AuthError:
                    raise
                except (OSError, websockets.WebSocketException, _Reconnect, TimeoutError, ApiError) as problem:
                    reason = str(problem) or type(problem).__name__
                    log.info("connection lost: %s", reason)
                if code in FINAL_CLOSE_CODES:
                    raise AuthError(f"the server closed the connection for good ({code}: {reason})")
                delay = min(self.backoff_max_s, self.backoff_initial_s * 2**self._attempt) * random.uniform(0.5, 1.0)
                self._attempt += 1
                self._notify(Disconnected(code=code, reason=reason, retry_in_s=delay))
                await asyncio.sleep(delay)
        except AuthError as error:
            self.error = error
            self._notify(Disconnected(code=None, reason=str(error), retry_in_s=None))
            self._queue.put_nowait(self._stopped)

    async def _serve(self, socket: Any) -> None:
        await socket.send(exact_json.dumps(self.auth.ws_auth()))
        while (reply := exact_json.loads(await asyncio.wait_for(socket.recv(), self.heartbeat_s * 2)))["type"] != "auth_response":
            if reply["type"] == "ping":
                await socket.send('{"type":"pong"}')
        if reply.get("status") != "authenticated":
            self.auth.invalidate()  # a JWT is renewed before the next try; a refused API key stops here
            raise _Reconnect(f"authentication refused: {reply.get('error_code')}")
        self.account_id = reply.get("account_id")
        self._socket = socket
        self._attempt = 0  # backoff starts over once a connection got through
        self._last_heard = time.monotonic()
        self.connections += 1
        for stream in self._streams:
            if stream.was_live and stream.durable and stream.last is None and stream.channel not in WITH_SNAPSHOT:
                self._notify(ResyncRequired(channel=stream.channel, key=stream.key, reason="position_unknown", sequence=None, hint=None))
        if self._streams:
            await self._send({"type": "subscribe", "channels": _subscribe_items(self._streams)})
        self._notify(Connected(reconnect=self.connections > 1, account_id=self.account_id))
        tasks = [asyncio.create_task(job) for job in (self._read(socket), self._heartbeat(socket), self._keep_token_fresh())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            task.result()  # raises what ended the connection

    async def _read(self, socket: Any) -> None:
        async for text in socket:
            self._last_heard = time.monotonic()
            await self._receive(exact_json.loads(text))

    async def _heartbeat(self, socket: Any) -> None:
        """Ping the server; a connection that stays silent for two intervals is dead (a half-open TCP)."""
        while True:
            await asyncio.sleep(self.heartbeat_s)
            if time.monotonic() - self._last_heard > 2 * self.heartbeat_s:
                raise _Reconnect("no message from the server for two heartbeat intervals")
            await self._send({"type": "ping"})

    async def _keep_token_fresh(self) -> None:
        """Before the access token expires: refresh it over REST and re-authenticate the open socket."""
        while (due_in := self.auth.refresh_due_in()) is not None:
            await asyncio.sleep(max(due_in, 0.0))
            await self.auth.fresh()
            await self._send({**self.auth.ws_auth(), "correlation_id": f"reauth-{next(self._correlation)}"})
        await asyncio.Future()  # API keys do not expire while connected: nothing to do

    async def _send(self, message: dict[str, Any]) -> None:
        if self._socket is not None:
            await self._socket.send(exact_json.dumps(message))

    def _lose_pending_requests(self) -> None:
        """Replies come on the connection that carried the request: this one is gone, so no reply will come."""
        for reply in self._pending.values():
            _lost(reply)
        self._pending.clear()

    # Messages

    async def _receive(self, message: dict[str, Any]) -> None:
        correlation_id = message.get("correlation_id")
        if isinstance(correlation_id, str) and correlation_id.startswith(REQUEST_PREFIX):
            reply = self._pending.pop(correlation_id, None)
            if reply is None:
                log.info("%s for a request whose caller stopped waiting (cancelled)", message.get("type"))
            else:
                _answer(reply, message)
            return
        kind = message.get("type")
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind in ("pong", "unsubscribe_response"):
            pass
        elif kind == "auth_response":
            if message.get("status") != "authenticated":  # a re-auth refused: the old token still stands until it expires
                log.warning("re-authentication refused: %s", message.get("error_code"))
        elif kind == "subscription_response":
            self._subscribed(message)
        elif kind == "error":
            self._notify(ServerError(code=message.get("code", ""), message=message.get("message", ""), details=message.get("details") or {},
                                     correlation_id=message.get("correlation_id")))
        elif "channel" in message and "sequence" in message:
            self._deliver(message)
        else:
            self._notify(parse_event(message))

    def _subscribed(self, message: dict[str, Any]) -> None:
        keys = message.get("symbols") or [message.get("account_id")]
        for stream in self._streams_of(message["channel"], keys):
            stream.was_live = True
            if message.get("recovered") is False:
                stream.last = message.get("sequence")
                if stream.channel not in WITH_SNAPSHOT:  # a snapshot channel sends its current state next
                    self._notify(ResyncRequired(channel=stream.channel, key=stream.key, reason=message.get("reason", ""),
                                                sequence=stream.last, hint=message.get("resync")))
            self._notify(Subscribed(channel=stream.channel, key=stream.key, recovered=message.get("recovered"), replayed=message.get("replayed", 0)))

    def _deliver(self, message: dict[str, Any]) -> None:
        sequence = message["sequence"]
        key = message.get("account_id") or message.get("symbol") or (message.get("payload") or {}).get("auction_id")
        streams = self._streams_of(message["channel"], [key])
        stream = streams[0] if len(streams) == 1 else None
        if stream is not None and not message.get("snapshot") and stream.last is not None:
            if sequence <= stream.last:
                return  # delivered already (a replay overlapping the live stream)
            if sequence != stream.last + 1:
                raise _Reconnect(f"gap on {stream.channel} {stream.key or ''}: {stream.last} then {sequence}")
        if stream is not None:
            stream.last = sequence
        self._notify(parse_event(message))

    def _streams_of(self, channel: str, keys: list[Any]) -> list[_Stream]:
        """The streams a message is about: the channel's only stream, or those whose key it names."""
        on_channel = [s for s in self._streams if s.channel == channel]
        if len(on_channel) <= 1:
            return on_channel
        return [s for s in on_channel if s.key in keys]

    def _notify(self, item: Event | dict[str, Any] | Connected | Disconnected | ResyncRequired | ServerError | Subscribed) -> None:
        self._queue.put_nowait(item)


def _answer(reply: asyncio.Future[dict[str, Any]], message: dict[str, Any]) -> None:
    if reply.done():  # the caller was cancelled and no longer waits
        return
    if message.get("type") == "error":
        reply.set_exception(RequestError(message.get("code", ""), message.get("message", ""), message.get("details") or {}))
    else:
        reply.set_result(message)


def _lost(reply: asyncio.Future[dict[str, Any]]) -> None:
    if not reply.done():
        reply.set_exception(ConnectionLostError("the connection closed before the reply: the message may or may not have been applied"))


def _subscribe_items(streams: list[_Stream]) -> list[dict[str, Any]]:
    """One batch item per stream, market data grouped per aggregation; `since` where the server can replay."""
    items: list[dict[str, Any]] = []
    market: dict[str | None, list[str]] = {}
    for stream in streams:
        if stream.channel == "market_data":
            market.setdefault(stream.aggregation, []).append(stream.key or "")
            continue
        item: dict[str, Any] = {"channel": stream.channel}
        if stream.key is not None and stream.channel in ACCOUNT_CHANNELS:
            item["account_id"] = stream.key
        if stream.durable and stream.last is not None:
            item["since"] = stream.last
        items.append(item)
    for aggregation, symbols in market.items():
        item = {"channel": "market_data", "symbols": symbols}
        if aggregation:
            item["aggregation"] = aggregation
        items.append(item)
    return items
