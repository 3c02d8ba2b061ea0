"""Order entry over the WebSocket: the REST order calls as client messages, each answered directly.

    {"type": "place_order", "symbol", "side", "order_type", "quantity", "price"?, "client_order_id"?,
     "time_in_force"?, "post_only"?}
    -> {"type": "order_accepted", "request": "place_order", "order": {...}, "created": true}   (false: a retry)
     | {"type": "order_rejected", "request": "place_order", "code", "message", "details"}
    {"type": "cancel_order", "order_id" or "client_order_id"} -> order_accepted {"order"} | order_rejected
    {"type": "cancel_all", "symbol"?}                       -> order_accepted {"cancelled": [ids], "count"}
    {"type": "cancel_all_after", "timeout_s"}               -> order_accepted {"current_time", "trigger_time"}
    {"type": "set_cancel_on_disconnect", "enabled": bool}   -> order_accepted {"cancel_on_disconnect"}

The REST serializers check the fields and the REST services do the work, so validation, the gates (a
closed matching engine) and the events are the same; `order` is the REST representation of the order.
A business refusal is an `order_rejected`; a malformed message, a caller who may not trade, or one over
the REST write rate (socket order entry counts toward it) is an `error`. With cancel-on-disconnect set,
the account's open orders are cancelled (reason cancel_on_disconnect) when this socket closes.
"""

import functools
from collections.abc import Callable
from math import ceil
from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import serializers

from accounts.models import ApiKeyScope
from kernel.errors import ServiceError
from kernel.throttles import write_throttle_take
from streams.client_messages import Description, DisconnectHook, Reply, register
from streams.principals import Principal
from streams.protocol import ErrorCode, ProtocolError

from . import services
from .models import TimeInForce
from .serializers import CancelAllAfterSerializer, CancelAllAfterStateSerializer, OrderCreateSerializer, OrderSerializer

ACCEPTED, REJECTED = "order_accepted", "order_rejected"
CANCEL_ON_DISCONNECT = "cancel_on_disconnect"


def trader_account_id(principal: Principal, *, code: str = ErrorCode.INSUFFICIENT_PERMISSIONS, may: str = "trade") -> str:
    """The caller's trading account: a trader, signed in with a password or an API key with the trade scope."""
    if principal.account_id is None:
        raise ProtocolError(code, f"Only traders may {may}", {"reason": "no_account"})
    if principal.scopes is not None and ApiKeyScope.TRADE not in principal.scopes:
        raise ProtocolError(code, "This API key lacks the 'trade' scope", {"reason": "insufficient_scope"})
    return principal.account_id


def _trading_account_id(principal: Principal) -> str:
    """As trader_account_id, and counted against the REST write rate like the REST call it stands for."""
    account_id = trader_account_id(principal)
    wait_s = write_throttle_take(user_id=principal.user_id)
    if wait_s is not None:
        raise ProtocolError(
            ErrorCode.RATE_LIMITED,
            "Too many orders: order entry over REST and the WebSocket share one rate",
            {"retry_after_ms": max(1, ceil(wait_s * 1000)), "scope": "write"},
        )
    return account_id


def _answer(request: str, work: Callable[[], dict[str, Any]]) -> Reply:
    """order_accepted with what `work` returns, or order_rejected with why the service refused."""
    try:
        return Reply(ACCEPTED, {"request": request, **work()})
    except ServiceError as refused:
        return _rejected(request, refused.code, refused.message, refused.details)
    except ValidationError as invalid:
        return _rejected(request, "VALIDATION_ERROR", "Invalid input.", {"errors": invalid.message_dict})
    except serializers.ValidationError as invalid:
        return _rejected(request, "VALIDATION_ERROR", "Invalid input.", {"errors": _plain(invalid.detail)})


def _rejected(request: str, code: str, message: str, details: dict) -> Reply:
    return Reply(REJECTED, {"request": request, "code": code, "message": message, "details": details})


def _plain(detail: Any) -> Any:
    """DRF's error details as plain JSON (ErrorDetail is a str that remembers its code)."""
    if isinstance(detail, dict):
        return {key: _plain(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_plain(value) for value in detail]
    return str(detail)


def _validated(serializer_class: type[serializers.Serializer], data: dict[str, Any]) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _fields(message: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in message.items() if key not in ("type", "correlation_id")}


def place_order(message: dict[str, Any], principal: Principal) -> Reply:
    account_id = _trading_account_id(principal)

    def place() -> dict[str, Any]:
        entry = services.order_enter(account_id=account_id, **_validated(OrderCreateSerializer, _fields(message)))
        return {"order": OrderSerializer(entry.order).data, "created": entry.created}

    return _answer("place_order", place)


def cancel_order(message: dict[str, Any], principal: Principal) -> Reply:
    given = {name: message[name] for name in ("order_id", "client_order_id") if message.get(name) is not None}
    if len(given) != 1 or not all(isinstance(value, str) and 0 < len(value) <= 64 for value in given.values()):
        raise ProtocolError(
            ErrorCode.INVALID_REQUEST, "Give either 'order_id' or 'client_order_id' (a string)", {"field": "order_id"}
        )
    account_id = _trading_account_id(principal)

    def cancel() -> dict[str, Any]:
        return {"order": OrderSerializer(services.order_cancel(account_id=account_id, **given)).data}

    return _answer("cancel_order", cancel)


def cancel_all(message: dict[str, Any], principal: Principal) -> Reply:
    symbol = message.get("symbol")
    if symbol is not None and not isinstance(symbol, str):
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "'symbol' must be a string", {"field": "symbol"})
    account_id = _trading_account_id(principal)

    def cancel() -> dict[str, Any]:
        cancelled = services.order_cancel_all(account_id=account_id, symbol=symbol)
        return {"cancelled": cancelled, "count": len(cancelled)}

    return _answer("cancel_all", cancel)


def cancel_all_after(message: dict[str, Any], principal: Principal) -> Reply:
    account_id = _trading_account_id(principal)

    def arm() -> dict[str, Any]:
        state = services.cancel_all_after_set(account_id=account_id, **_validated(CancelAllAfterSerializer, _fields(message)))
        return dict(CancelAllAfterStateSerializer(state).data)

    return _answer("cancel_all_after", arm)


def set_cancel_on_disconnect(message: dict[str, Any], principal: Principal) -> Reply:
    enabled = message.get("enabled")
    if not isinstance(enabled, bool):
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "'enabled' must be true or false", {"field": "enabled"})
    account_id = trader_account_id(principal)
    callback = functools.partial(services.order_cancel_all, account_id=account_id, reason=CANCEL_ON_DISCONNECT) if enabled else None
    return Reply(
        ACCEPTED,
        {"request": "set_cancel_on_disconnect", "cancel_on_disconnect": enabled},
        disconnect_hook=DisconnectHook(CANCEL_ON_DISCONNECT, callback),
    )


_NUMBER = {"type": "number"}
_STRING = {"type": "string"}
_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}
_REPLIES = (ACCEPTED, REJECTED)
_REPLY_FIELDS: dict[str, Any] = {
    "request": {"type": "string", "description": "The type of the message answered"},
    "order": {"type": "object", "description": "The order as REST shows it (place_order, cancel_order)"},
    "created": {"type": "boolean", "description": "place_order: false for a retry answered with the original order"},
    "cancelled": {"type": "array", "items": _STRING, "description": "cancel_all: the ids of the cancelled orders"},
    "count": {"type": "integer"},
    "current_time": {"type": "string", "format": "date-time"},
    "trigger_time": {"type": ["string", "null"], "format": "date-time", "description": "cancel_all_after: null when off"},
    "cancel_on_disconnect": {"type": "boolean"},
    "code": {"type": "string", "description": "order_rejected: VALIDATION_ERROR, INSUFFICIENT_FUNDS, POST_ONLY_WOULD_CROSS, ..."},
    "message": _STRING,
    "details": {"type": "object"},
}


def _described(summary: str, fields: dict[str, Any], required: tuple[str, ...] = ()) -> Description:
    return Description(summary=summary, fields=fields, required=required, replies=_REPLIES, reply_fields=_REPLY_FIELDS)


PLACE_ORDER = _described(
    "Place an order: the fields of POST /v1/orders (the trade scope for API keys)",
    {
        "symbol": _STRING,
        "side": {"type": "string", "enum": ["buy", "sell"]},
        "order_type": {"type": "string", "enum": ["limit", "market"]},
        "quantity": _NUMBER,
        "price": {"type": ["number", "null"]},
        "client_order_id": _ID,
        "time_in_force": {"type": "string", "enum": TimeInForce.values},
        "post_only": {"type": "boolean"},
    },
    ("symbol", "side", "order_type", "quantity"),
)
CANCEL_ORDER = _described("Cancel one's own order by order_id or by client_order_id", {"order_id": _STRING, "client_order_id": _ID})
CANCEL_ALL = _described("Cancel all one's open orders, or one market's", {"symbol": _STRING})
CANCEL_ALL_AFTER = _described(
    "Dead-man's switch: cancel all open orders unless sent again within timeout_s seconds (0: off)",
    {"timeout_s": {"type": "integer", "minimum": 0, "maximum": services.MAX_CANCEL_ALL_AFTER_S}},
    ("timeout_s",),
)
SET_CANCEL_ON_DISCONNECT = _described(
    "Cancel the account's open orders when this connection closes (off by default)", {"enabled": {"type": "boolean"}}, ("enabled",)
)


def register_all() -> None:
    register("place_order", place_order, PLACE_ORDER)
    register("cancel_order", cancel_order, CANCEL_ORDER)
    register("cancel_all", cancel_all, CANCEL_ALL)
    register("cancel_all_after", cancel_all_after, CANCEL_ALL_AFTER)
    register("set_cancel_on_disconnect", set_cancel_on_disconnect, SET_CANCEL_ON_DISCONNECT)
