"""The one WebSocket consumer: authentication, subscriptions, heartbeats and limits of one connection."""

import enum
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from structlog.contextvars import bind_contextvars

from kernel.metrics import WEBSOCKET_RATE_LIMIT_HITS

from . import client_messages, metrics, registry
from .auth import Authenticated, AuthError, authenticate_message, authenticate_session
from .batching import Batcher, each
from .flow import SendWindow, TransportAcks, utf8_size
from .hub import Hub, Subscription, get_hub
from .limits import RateLimiter, connection_counter, new_connection_id
from .principals import Principal
from .protocol import (
    CloseCode,
    ErrorCode,
    ProtocolError,
    correlation_id_of,
    encode,
    encode_error,
    inputs_check,
    message_type,
    parse,
)
from .subscription_start import SubscriptionStart
from .timers import Timers

log = logging.getLogger(__name__)

PRE_AUTH_TYPES = {"auth", "ping", "pong"}


class ConnectionState(enum.Enum):
    AWAITING_AUTH = "awaiting_auth"  # accepted; only auth, ping and pong are answered
    AUTHENTICATED = "authenticated"  # counted against the account's limit, known to the hub
    CLOSING = "closing"  # the server sent its closing error and asked to close: nothing more goes out
    CLOSED = "closed"  # the socket is gone


# Module globals, because an enum attribute costs a descriptor call and push() checks on every message.
AWAITING_AUTH, AUTHENTICATED, CLOSING, CLOSED = ConnectionState


class GatewayConsumer(AsyncWebsocketConsumer):
    # No per-connection channel-layer channel: the process's hub reads the layer for every socket.
    channel_layer_alias = "cdx.no-per-connection-channel"

    hub: Hub
    state: ConnectionState
    auth: Authenticated | None  # the latest credentials; set from AUTHENTICATED on

    async def dispatch(self, message):
        # Channels closes stale database connections on the ORM thread before every message. This
        # consumer reaches the database only through database_sync_to_async, which does that itself,
        # so skip a thread hop per message.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        try:
            await handler(message)
        except StopConsumer:
            raise
        except BaseException:
            # A handler that fails (or is cancelled) ends the consumer, and daphne closes the socket
            # (1011) without a websocket.disconnect: give back the connection slot and the
            # subscriptions here, or they would outlive the socket.
            if hasattr(self, "hub"):  # connect got that far
                await self.disconnect(1011)
            raise

    # Life cycle

    async def connect(self):
        self.disconnect_hooks: dict[str, Callable[[], object]] = {}  # set by client message replies, run on close
        self.hub = await get_hub()
        self.connection_id = new_connection_id()
        # On every line this connection's task, and the ORM threads it calls, log from now on.
        bind_contextvars(connection_id=self.connection_id)
        log.info("websocket_connected", extra={"path": self.scope.get("path"), "client": _client_of(self.scope)})
        self.state = AWAITING_AUTH  # from here on, disconnect() counts the close
        metrics.CONNECTIONS_OPENED.inc()
        metrics.CONNECTIONS_OPEN.inc()
        self.auth: Authenticated | None = None
        self.counted_owner: str | None = None
        self.subscriptions: dict[tuple[str, str], Subscription] = {}
        self.rate = RateLimiter(settings.CDX_WS_RATE_LIMIT_PER_S)
        self.window = SendWindow(
            self._write, settings.CDX_WS_SEND_WINDOW_BYTES, settings.CDX_WS_SEND_QUEUE_BYTES, settings.CDX_WS_SLOW_CONSUMER_S
        )
        self.transport_acks = TransportAcks(
            self.window, settings.CDX_WS_PROTOCOL_PING_INTERVAL_S, settings.CDX_WS_PROTOCOL_PING_TIMEOUT_S
        )
        self.last_heard = time.monotonic()
        self.ping_sent_at: float | None = None
        self.speaks_heartbeat = False  # has answered a JSON ping: the JSON heartbeat's timeout applies
        self.timers = Timers(active=self._open)
        await self.accept()
        if self.hub.draining:  # accepted while this process shuts down: off to another server at once
            await self._close_for_restart()
            return
        self.hub.socket_open(self)
        self.timers.schedule("ping", settings.CDX_WS_PING_INTERVAL_S, self._heartbeat)
        session = await authenticate_session(self.scope.get("user"))
        if session is not None:
            await self._admit(session, correlation_id=None, announce=False)
        else:
            self.timers.schedule("auth", settings.CDX_WS_AUTH_TIMEOUT_S, self._auth_timeout)

    async def disconnect(self, code):
        self.hub.socket_closed(self)  # always: a drain waits for every socket to go
        if self.state is not CLOSED:  # not released yet (a failed handler's disconnect, or a drain, may have)
            await self._release(code)

    async def _release(self, code: int) -> None:
        """Give back what the connection holds: its subscriptions, its place in the hub, its count, and run the
        hooks client messages left (cancel on disconnect)."""
        log.info("websocket_closed", extra={"code": code})
        self.state = CLOSED
        metrics.CONNECTIONS_OPEN.dec()
        metrics.connection_closed(code).inc()
        self.timers.cancel_all()
        await self.hub.unsubscribe(self.subscriptions.values())
        self.subscriptions.clear()
        if self.counted_owner is not None:  # admitted: known to the hub and counted
            await self.hub.connection_remove(self)
            await connection_counter().release(self.counted_owner, self.connection_id)
            self.counted_owner = None
        hooks, self.disconnect_hooks = self.disconnect_hooks, {}
        for name, callback in hooks.items():
            try:
                await database_sync_to_async(callback)()
            except Exception:
                log.exception("disconnect hook %s of connection %s failed", name, self.connection_id)

    def _open(self) -> bool:
        return self.state is AWAITING_AUTH or self.state is AUTHENTICATED

    @property
    def principal(self) -> Principal:
        """Who authenticated: read only in the authenticated state."""
        assert self.auth is not None
        return self.auth.principal

    @property
    def user_id(self) -> int | None:
        return self.auth.principal.user_id if self.auth else None

    @property
    def api_key_id(self) -> str | None:
        return self.auth.principal.api_key_id if self.auth else None

    async def push(self, text: str, size: int) -> None:
        # Only an admitted connection has subscriptions. Called once per socket and event: kept short.
        if self.state is AUTHENTICATED and not await self.window.send(text, size):
            await self._too_slow()

    async def send(self, text_data=None, bytes_data=None, close=False):
        """Direct replies: written at once, counted toward the slow-consumer bound (streams/flow.py)."""
        if text_data is None or close:
            await super().send(text_data, bytes_data, close)
        elif not await self.window.reply(text_data, utf8_size(text_data)):
            await self._too_slow()

    async def _too_slow(self) -> None:
        if self._open():
            metrics.SLOW_CONSUMER_DISCONNECTS.inc()
        await self._close_with_error(
            ErrorCode.CONNECTION_CLOSED,
            "Connection closed: the client does not read fast enough",
            {"reason": "slow_consumer"},
            CloseCode.SLOW_CONSUMER,
        )

    def _write(self, text: str) -> Awaitable[None]:
        # What super().send does, three calls less: the ASGI send's own awaitable, no coroutine around it.
        return self.base_send({"type": "websocket.send", "text": text})

    def queued_bytes(self) -> int:
        return self.window.waiting_size

    def write_failed(self) -> None:
        """The hub could not write to this socket (it is closing, or broken): nothing more is written to
        it, and it is closed, so a client still there resumes with `since` rather than read past a gap."""
        if self._open():
            self.state = CLOSING
            self.hub.spawn(self.close(code=1011))

    async def close_for_restart(self) -> None:
        """The hub drains (SIGTERM): the client reconnects elsewhere; the count goes before the client answers."""
        await self._close_for_restart()
        await self._release(CloseCode.SERVICE_RESTART)

    async def _close_for_restart(self) -> None:
        await self._close_with_error(
            ErrorCode.CONNECTION_CLOSED,
            "The server is restarting: reconnect (any server will do) and resume with since",
            {"reason": "server_restart"},
            CloseCode.SERVICE_RESTART,
        )

    async def close_for(self, reason: str) -> None:
        """The hub asks: the user was disabled, or the API key this socket signed in with was revoked."""
        await self._close_with_error(
            ErrorCode.CONNECTION_CLOSED, "Your access was revoked", {"reason": reason}, CloseCode.DISABLED
        )

    # Client messages

    async def receive(self, text_data=None, bytes_data=None):
        self.last_heard = time.monotonic()
        if not self._open():
            return
        retry_after_ms = self.rate.take()  # every frame counts, oversized ones included
        size = _size_in_bytes(text_data, bytes_data)
        if size > settings.CDX_WS_MAX_MESSAGE_BYTES:
            await self._message_too_large(size)
            return
        if retry_after_ms and not self.window.answers_a_ping(text_data):
            WEBSOCKET_RATE_LIMIT_HITS.inc()
            await self._error(
                ErrorCode.RATE_LIMITED,
                "Rate limit exceeded",
                {"retry_after_ms": retry_after_ms, "limit_per_s": settings.CDX_WS_RATE_LIMIT_PER_S},
            )
            return
        correlation_id = None
        try:
            message = parse(text_data)
            correlation_id = correlation_id_of(message)
            inputs_check(message, text_data)
            kind = message_type(message)
            if self.state is AWAITING_AUTH and kind not in PRE_AUTH_TYPES:
                raise ProtocolError(ErrorCode.AUTH_REQUIRED, "Authenticate first", {"type": kind})
            handler = self.HANDLERS.get(kind)
            if handler is None and client_messages.get(kind) is not None:
                handler = GatewayConsumer._on_client_message
            if handler is None:
                raise ProtocolError(ErrorCode.INVALID_REQUEST, "Unknown message type", {"type": kind})
            await handler(self, message, correlation_id)
        except ProtocolError as error:
            await self._error(error.code, error.message, error.details, correlation_id)

    async def _message_too_large(self, size: int) -> None:
        """Over the limit: an error, the socket kept; far over it (a client that ignores the limit): closed."""
        details = {"size": size, "limit": settings.CDX_WS_MAX_MESSAGE_BYTES}
        if size <= settings.CDX_WS_CLOSE_MESSAGE_BYTES:
            await self._error(ErrorCode.MESSAGE_SIZE_EXCEEDED, "Message too large", details)
        else:
            await self._close_with_error(
                ErrorCode.MESSAGE_SIZE_EXCEEDED, "Message far too large", details, CloseCode.MESSAGE_TOO_BIG
            )

    async def _on_auth(self, message: dict[str, Any], correlation_id: Any) -> None:
        try:
            authenticated = await authenticate_message(message)
        except AuthError as error:
            metrics.AUTH_INVALID_CREDENTIALS.inc()
            await self.send(
                text_data=encode(
                    "auth_response",
                    correlation_id,
                    status="failed",
                    error_code="INVALID_TOKEN",
                    error_message=str(error),
                )
            )
            return
        if self.state is AUTHENTICATED and authenticated.principal.user_id != self.principal.user_id:
            metrics.AUTH_USER_MISMATCH.inc()
            raise ProtocolError(
                ErrorCode.AUTH_FAILED, "A connection cannot change user; open a new one", {"reason": "user_mismatch"}
            )
        await self._admit(authenticated, correlation_id, announce=True)

    async def _admit(self, authenticated: Authenticated, correlation_id: Any, announce: bool) -> None:
        if self.state is AWAITING_AUTH:
            owner = authenticated.principal.connection_owner
            limit = settings.CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT
            counter = connection_counter()
            if not await counter.acquire(owner, self.connection_id, limit):
                await self._close_with_error(
                    ErrorCode.CONNECTION_LIMIT,
                    f"At most {limit} connections per account",
                    {"limit": limit},
                    CloseCode.CONNECTION_LIMIT,
                    correlation_id,
                )
                return
            if not self._open():  # closed while it was being counted (the process drains)
                await counter.release(owner, self.connection_id)
                return
            self.counted_owner = owner
            self.state = AUTHENTICATED
            self.auth = authenticated
            log.info("websocket_authenticated", extra={"user_id": authenticated.principal.user_id, "owner": owner})
            await self.hub.connection_add(self)
            self.timers.cancel("auth")
            self._idle_check()
        self.auth = authenticated
        self.timers.cancel("expiry")
        if authenticated.expires_at is not None:
            self.timers.schedule("expiry", max(0.0, authenticated.expires_at - time.time()), self._token_expired)
        if announce:
            await self.send(
                text_data=encode(
                    "auth_response",
                    correlation_id,
                    status="authenticated",
                    account_id=authenticated.principal.account_id,
                    message="Successfully authenticated",
                )
            )

    async def _on_subscribe(self, message: dict[str, Any], correlation_id: Any) -> None:
        items = message.get("channels")
        if items is None:
            items = [message]
        elif not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
            raise ProtocolError(
                ErrorCode.INVALID_REQUEST, "'channels' must be a non-empty list of objects", {"field": "channels"}
            )
        # A batch is applied item by item, keeping the items that fit. Items past the subscription limit
        # could never fit: they get one error together, so replies and work stay bounded by the limit.
        limit = settings.CDX_WS_MAX_SUBSCRIPTIONS
        items, beyond = items[:limit], len(items) - limit
        checked = await _subscribe_checks.get(SubscribeCheck(items, self.principal))
        for outcome in checked:
            if isinstance(outcome, ProtocolError):
                await self._error(outcome.code, outcome.message, outcome.details, correlation_id)
            else:
                channel, request, since = outcome
                await self._subscribe(channel, request, since, correlation_id=correlation_id)
        if beyond > 0:
            await self._error(
                ErrorCode.SUBSCRIPTION_ERROR,
                f"At most {limit} subscriptions per message; the {beyond} channels after them were not subscribed",
                {"field": "channels", "reason": "subscription_limit", "limit": limit, "refused": beyond},
                correlation_id,
            )

    async def _subscribe(
        self, channel: registry.Channel, request: registry.Request, since: int | None, correlation_id: Any
    ) -> None:
        keys = [(ref.channel, ref.key) for ref in request.streams]
        if any(key in self.subscriptions for key in keys):
            details = {"channel": channel.name, **request.echo}
            await self._error(ErrorCode.ALREADY_SUBSCRIBED, "Already subscribed to this channel", details, correlation_id)
            return
        limit = settings.CDX_WS_MAX_SUBSCRIPTIONS
        if len(self.subscriptions) + len(keys) > limit:
            await self._error(
                ErrorCode.SUBSCRIPTION_ERROR,
                f"At most {limit} subscriptions per connection",
                {"channel": channel.name, "reason": "subscription_limit", "limit": limit},
                correlation_id,
            )
            return
        start = SubscriptionStart(self, channel, request, since)
        self.subscriptions.update(zip(keys, start.subscriptions, strict=True))
        self.timers.cancel("idle")
        resume_fields = await start.join(self.hub)
        await self.send(
            text_data=encode(
                "subscription_response",
                correlation_id,
                channel=channel.name,
                **request.echo,
                status="subscribed",
                message=channel.subscribed_message(),
                **resume_fields,
            )
        )
        await start.go_live(self.hub)

    async def _on_unsubscribe(self, message: dict[str, Any], correlation_id: Any) -> None:
        channel = registry.get(message.get("channel"))
        request = channel.resolve(message, self.principal, True)
        if request.streams:
            keys = [(ref.channel, ref.key) for ref in request.streams]
        else:
            keys = [key for key in self.subscriptions if key[0] == channel.name]
        if not keys or any(key not in self.subscriptions for key in keys):
            raise ProtocolError(
                ErrorCode.NOT_SUBSCRIBED, "Not subscribed to this channel", {"channel": channel.name, **request.echo}
            )
        await self.hub.unsubscribe([self.subscriptions.pop(key) for key in keys])
        self._idle_check()
        await self.send(
            text_data=encode(
                "unsubscribe_response",
                correlation_id,
                channel=channel.name,
                **request.echo,
                status="unsubscribed",
                message=channel.unsubscribed_message(),
            )
        )

    async def _on_ping(self, message: dict[str, Any], correlation_id: Any) -> None:
        await self.send(text_data=encode("pong", correlation_id))

    async def _on_pong(self, message: dict[str, Any], correlation_id: Any) -> None:
        self.speaks_heartbeat = True
        await self.window.answered()  # the heartbeat needs only to hear something; the send window needs this

    async def _on_client_message(self, message: dict[str, Any], correlation_id: Any) -> None:
        """A message a domain app registered (streams/client_messages.py): its handler answers directly."""
        handler = client_messages.get(message["type"])
        reply = await database_sync_to_async(handler)(message, self.principal)
        hook = reply.disconnect_hook
        if hook is not None:
            if hook.callback is None:
                self.disconnect_hooks.pop(hook.name, None)
            else:
                self.disconnect_hooks[hook.name] = hook.callback
        await self.send(text_data=encode(reply.type, correlation_id, **reply.fields))

    HANDLERS: dict[str, Callable] = {
        "auth": _on_auth,
        "subscribe": _on_subscribe,
        "unsubscribe": _on_unsubscribe,
        "ping": _on_ping,
        "pong": _on_pong,
    }

    # Timers

    def _idle_check(self) -> None:
        if not self.subscriptions:
            self.timers.schedule("idle", settings.CDX_WS_IDLE_TIMEOUT_S, self._idle_timeout)

    async def _heartbeat(self) -> None:
        # A client that never answered a JSON ping is only kept alive by daphne's protocol pings (README,
        # Heartbeat): it is not closed for silence, and its send window is acknowledged by time.
        now = time.monotonic()
        if not self.speaks_heartbeat:
            await self.transport_acks.tick(now, self.last_heard)
        elif self.ping_sent_at is not None and self.last_heard < self.ping_sent_at:
            await self._close_with_error(
                ErrorCode.CONNECTION_CLOSED, "No heartbeat from the client", {"reason": "heartbeat_timeout"}, CloseCode.TIMEOUT
            )
            return
        self.ping_sent_at = now
        await self.window.probe()
        if self.counted_owner is not None:
            await connection_counter().refresh(self.counted_owner, self.connection_id)
        self.timers.schedule("ping", settings.CDX_WS_PING_INTERVAL_S, self._heartbeat)

    async def _auth_timeout(self) -> None:
        metrics.AUTH_TIMEOUT.inc()
        await self._close_with_error(
            ErrorCode.AUTH_REQUIRED,
            f"Not authenticated within {settings.CDX_WS_AUTH_TIMEOUT_S:g} s",
            {"reason": "auth_timeout"},
            CloseCode.AUTH,
        )

    async def _token_expired(self) -> None:
        metrics.AUTH_TOKEN_EXPIRED.inc()
        await self._close_with_error(
            ErrorCode.AUTH_FAILED, "Token expired and was not replaced", {"reason": "token_expired"}, CloseCode.AUTH
        )

    async def _idle_timeout(self) -> None:
        await self._close_with_error(
            ErrorCode.CONNECTION_CLOSED,
            f"No subscription for {settings.CDX_WS_IDLE_TIMEOUT_S:g} s",
            {"reason": "idle_timeout"},
            CloseCode.TIMEOUT,
        )

    # Errors

    async def _error(self, code: ErrorCode | str, message: str, details: dict, correlation_id: Any = None) -> None:
        await self.send(text_data=encode_error(code, message, details, correlation_id))

    async def _close_with_error(
        self, code: ErrorCode, message: str, details: dict, close_code: int, correlation_id: Any = None
    ) -> None:
        if not self._open():
            return
        await self._error(code, message, {**details, "closing": True}, correlation_id)
        self.state = CLOSING
        await self.close(code=close_code)


# One subscribe request checked: what to subscribe to (channel, request, since), or why not.
CheckedSubscribe = tuple[registry.Channel, registry.Request, int | None] | ProtocolError


class SubscribeCheck:
    """One subscribe message's items to check for one principal: a batch key of its own (hashed by identity)."""

    __slots__ = ("items", "principal")

    def __init__(self, items: list[dict[str, Any]], principal: Principal):
        self.items = items
        self.principal = principal


def _check_all(items: list[dict[str, Any]], principal: Principal) -> list[CheckedSubscribe]:
    """Resolve and authorise each subscribe request (on the ORM thread: checks may read the database)."""
    outcomes: list[CheckedSubscribe] = []
    for item in items:
        try:
            channel = registry.get(item.get("channel"))
            request = channel.resolve(item, principal, False)
            channel.check_access(request, principal)
            outcomes.append((channel, request, _since_of(item, channel)))
        except ProtocolError as error:
            outcomes.append(error)
    return outcomes


# Subscribe messages arriving together (a connection storm) are checked in one trip to the ORM thread.
_subscribe_checks: Batcher[SubscribeCheck] = Batcher(each(lambda check: _check_all(check.items, check.principal)))


def _since_of(item: dict[str, Any], channel: registry.Channel) -> int | None:
    """The last sequence a resuming client saw; market data ignores it (a fresh snapshot always comes)."""
    since = item.get("since")
    if since is None or not channel.durable:
        return None
    if isinstance(since, bool) or not isinstance(since, int) or not 0 <= since < 2**63:
        raise ProtocolError(
            ErrorCode.INVALID_REQUEST, "'since' must be the last sequence number you received", {"field": "since"}
        )
    return since


def _client_of(scope: dict) -> str | None:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else None


def _size_in_bytes(text: str | None, data: bytes | None) -> int:
    if data is not None:
        return len(data)
    if text is None:
        return 0
    # Most messages are ASCII: only encode when the character count leaves any doubt.
    if len(text) * 4 <= settings.CDX_WS_MAX_MESSAGE_BYTES:
        return len(text)
    return len(text.encode(errors="surrogatepass"))  # a lone surrogate is refused later, by name
