"""The channels a client may subscribe to.

A channel is one entry: its name, how a subscribe request's parameters become streams, who may
subscribe, and optionally a snapshot sent on subscribe. Domain apps register their channels from
their AppConfig.ready(); the transport knows nothing of what the events mean.

A stream is one (channel, key) pair: `orders` of one account, `market_data` of one symbol,
`system_health` (key ""). Every stream has its own gap-free sequence and one channel-layer group.
"""

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .events import Event
from .principals import Principal
from .protocol import ErrorCode, ProtocolError

AGGREGATIONS = ("raw", "100ms", "1s")
AGGREGATION_SECONDS = {"raw": 0.0, "100ms": 0.1, "1s": 1.0}

# A snapshot provider returns the (declared) events that describe the stream's current state and the
# stream's sequence number read *before* that state, so later events can be applied on top.
SnapshotProvider = Callable[[str], tuple[list[Event], int]]


@dataclass(frozen=True, slots=True)
class StreamRef:
    channel: str
    key: str
    aggregation: str = "raw"

    @property
    def group(self) -> str:
        return group_name(self.channel, self.key)


@dataclass(frozen=True, slots=True)
class Request:
    """A subscribe or unsubscribe request resolved against a channel."""

    streams: tuple[StreamRef, ...]
    echo: dict[str, Any]  # parameters echoed in subscription_response / unsubscribe_response


@dataclass
class Channel:
    name: str
    noun: str  # "order updates": used in "Now receiving order updates"
    resolve: Callable[[dict[str, Any], Principal, bool], Request]
    check_access: Callable[[Request, Principal], None] = lambda request, principal: None
    snapshot: SnapshotProvider | None = None
    durable: bool = True  # account, compliance and system events are kept; market data is not
    # The subscribe request's own parameters as JSON Schema properties (the AsyncAPI document shows them).
    parameters: dict[str, Any] = field(default_factory=dict)

    def subscribed_message(self) -> str:
        return f"Now receiving {self.noun}"

    def unsubscribed_message(self) -> str:
        return f"No longer receiving {self.noun}"


_channels: dict[str, Channel] = {}


def register(channel: Channel) -> Channel:
    _channels[channel.name] = channel
    return channel


def get(name: Any) -> Channel:
    if not isinstance(name, str) or name not in _channels:
        raise ProtocolError(
            ErrorCode.INVALID_CHANNEL,
            "Channel does not exist",
            {"channel": name if isinstance(name, str) else None, "available": sorted(_channels)},
        )
    return _channels[name]


def names() -> list[str]:
    return sorted(_channels)


def ephemeral_names() -> list[str]:
    """Channels whose events are latest-state (a snapshot on subscribe) rather than kept for replay."""
    return sorted(name for name, channel in _channels.items() if not channel.durable)


_GROUP_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def group_name(channel: str, key: str) -> str:
    """A channel-layer group name: only [A-Za-z0-9._-] and under 100 characters, whatever the key."""
    readable = _GROUP_SAFE.sub("-", key)
    name = f"cdx.{channel}.{readable}" if key else f"cdx.{channel}"
    if readable != key or len(name) > 90:  # a hash keeps "A/B" and "A-B" apart
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        name = f"cdx.{channel}.{readable[:40]}.{digest}"
    return name


# Parameter helpers shared by the channel kinds below.


def _string_param(message: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = message.get(name)
    if value is None:
        if required:
            raise ProtocolError(ErrorCode.INVALID_REQUEST, f"'{name}' is required", {"field": name})
        return None
    if not isinstance(value, str) or not value or len(value) > 64:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, f"'{name}' must be a non-empty string", {"field": name})
    return value


def _permission_denied(channel: str, reason: str) -> ProtocolError:
    return ProtocolError(
        ErrorCode.INSUFFICIENT_PERMISSIONS,
        "No permission to access this channel",
        {"channel": channel, "reason": reason},
    )


def account_channel(
    name: str, noun: str, *, account_exists: Callable[[str], bool], snapshot: SnapshotProvider | None = None
) -> Channel:
    """A stream per account: its owner may subscribe, and so may compliance officers and staff.

    `account_id` defaults to the caller's own account. Another trader's account is refused with
    INSUFFICIENT_PERMISSIONS whether or not it exists, so ids cannot be probed.
    """

    def resolve(message: dict[str, Any], principal: Principal, unsubscribing: bool) -> Request:
        account_id = _string_param(message, "account_id", required=principal.account_id is None)
        account_id = account_id or principal.account_id
        assert account_id is not None  # _string_param required it when the principal has no account
        return Request((StreamRef(name, account_id),), {"account_id": account_id})

    def check_access(request: Request, principal: Principal) -> None:
        account_id = request.streams[0].key
        if account_id == principal.account_id:
            return
        if not principal.sees_every_account:
            raise _permission_denied(name, "not_your_account")
        if not account_exists(account_id):
            raise ProtocolError(
                ErrorCode.SUBSCRIPTION_ERROR,
                "Failed to subscribe to channel",
                {"channel": name, "reason": "unknown_account", "account_id": account_id},
            )

    parameters = {"account_id": {"type": "string", "description": "The account; default: the caller's own (required without one)"}}
    return Channel(name=name, noun=noun, resolve=resolve, check_access=check_access, snapshot=snapshot, parameters=parameters)


def symbol_channel(
    name: str,
    noun: str,
    *,
    known_symbols: Callable[[], Sequence[str]],
    max_symbols: int = 20,
    snapshot: SnapshotProvider | None = None,
) -> Channel:
    """A public stream per symbol, with an aggregation: raw, 100ms or 1s (coalesced by the gateway)."""

    def resolve(message: dict[str, Any], principal: Principal, unsubscribing: bool) -> Request:
        symbols = message.get("symbols")
        if symbols is None and "symbol" in message:
            symbols = [message["symbol"]]
        if symbols is None and unsubscribing:
            return Request((), {})  # unsubscribe from every symbol of this channel
        if (
            not isinstance(symbols, list)
            or not symbols
            or len(symbols) > max_symbols
            or not all(isinstance(s, str) and 0 < len(s) <= 32 for s in symbols)
        ):
            raise ProtocolError(
                ErrorCode.INVALID_REQUEST,
                f"'symbols' must be a list of 1 to {max_symbols} symbol strings",
                {"field": "symbols"},
            )
        symbols = list(dict.fromkeys(symbols))
        aggregation = message.get("aggregation", "raw")
        if aggregation not in AGGREGATIONS:
            raise ProtocolError(
                ErrorCode.INVALID_REQUEST,
                f"'aggregation' must be one of {', '.join(AGGREGATIONS)}",
                {"field": "aggregation"},
            )
        echo = {"symbols": symbols} if unsubscribing else {"symbols": symbols, "aggregation": aggregation}
        return Request(tuple(StreamRef(name, s, aggregation) for s in symbols), echo)

    def check_access(request: Request, principal: Principal) -> None:
        known = set(known_symbols())
        unknown = [ref.key for ref in request.streams if ref.key not in known]
        if unknown:
            raise ProtocolError(
                ErrorCode.SUBSCRIPTION_ERROR,
                "Failed to subscribe to channel",
                {"channel": name, "reason": "unknown_symbol", "symbols": unknown},
            )

    parameters = {
        "symbols": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": max_symbols, "description": "Existing symbols"},
        "symbol": {"type": "string", "description": "One symbol, instead of `symbols`"},
        "aggregation": {"type": "string", "enum": list(AGGREGATIONS), "default": "raw"},
    }
    return Channel(
        name=name, noun=noun, resolve=resolve, check_access=check_access, snapshot=snapshot, durable=False, parameters=parameters
    )


def broadcast_channel(
    name: str,
    noun: str,
    *,
    allowed: Callable[[Principal], bool] = lambda principal: True,
    snapshot: SnapshotProvider | None = None,
) -> Channel:
    """One stream for everyone allowed to see it (compliance events, system health)."""

    def resolve(message: dict[str, Any], principal: Principal, unsubscribing: bool) -> Request:
        return Request((StreamRef(name, ""),), {})

    def check_access(request: Request, principal: Principal) -> None:
        if not allowed(principal):
            raise _permission_denied(name, "role_required")

    return Channel(name=name, noun=noun, resolve=resolve, check_access=check_access, snapshot=snapshot)
