"""The wire protocol: message parsing, error codes and the messages the server writes."""

from enum import StrEnum
from typing import Any

from kernel.json import dumps, loads, utcnow_iso


class ErrorCode(StrEnum):
    INVALID_REQUEST = "INVALID_REQUEST"
    AUTH_FAILED = "AUTH_FAILED"
    AUTH_REQUIRED = "AUTH_REQUIRED"
    SUBSCRIPTION_ERROR = "SUBSCRIPTION_ERROR"
    ALREADY_SUBSCRIBED = "ALREADY_SUBSCRIBED"
    NOT_SUBSCRIBED = "NOT_SUBSCRIBED"
    INVALID_CHANNEL = "INVALID_CHANNEL"
    INSUFFICIENT_PERMISSIONS = "INSUFFICIENT_PERMISSIONS"
    CONNECTION_CLOSED = "CONNECTION_CLOSED"
    CONNECTION_LIMIT = "CONNECTION_LIMIT"
    MESSAGE_SIZE_EXCEEDED = "MESSAGE_SIZE_EXCEEDED"
    RATE_LIMITED = "RATE_LIMITED"


class CloseCode:
    """WebSocket close codes the server uses (4000-4999 are the application's)."""

    AUTH = 4001  # no auth in time, or the token expired and was not replaced
    DISABLED = 4003  # the user was disabled
    TIMEOUT = 4008  # no heartbeat answer, or idle without subscriptions
    CONNECTION_LIMIT = 4029
    SLOW_CONSUMER = 4030


class ProtocolError(Exception):
    # A str code: a domain app's own (an auction's AUCTION_NOT_FOUND, a bid's CANCEL_CUTOFF_PASSED).
    def __init__(self, code: ErrorCode | str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


def encode(message_type: str, correlation_id: Any = None, **fields: Any) -> str:
    """A server message: `type` first, then its fields, `timestamp` and the echoed `correlation_id`."""
    message = {"type": message_type, **fields}
    message.setdefault("timestamp", utcnow_iso())
    if correlation_id is not None:
        message["correlation_id"] = correlation_id
    return dumps(message)


def encode_error(
    code: ErrorCode | str, message: str, details: dict[str, Any] | None = None, correlation_id: Any = None
) -> str:
    details = details or {}
    # Flat as the trading seed writes it, and nested as the auction seed does: clients of either read it.
    nested = {"code": str(code), "message": message, "details": details}
    return encode("error", correlation_id, code=str(code), message=message, details=details, error=nested)


def parse(text: str | None) -> dict[str, Any]:
    """A client message as a dict, or INVALID_REQUEST saying what is wrong."""
    if text is None:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "Messages must be JSON text frames")
    try:
        message = loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "Message is not valid JSON", {"reason": str(exc)[:200]}) from exc
    if not isinstance(message, dict):
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "Message must be a JSON object")
    return message


def message_type(message: dict[str, Any]) -> str:
    """Checked after parse, once the correlation id is known, so the error can echo it."""
    if not isinstance(message.get("type"), str):
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "Message needs a string 'type'", {"field": "type"})
    return message["type"]


def correlation_id_of(message: dict[str, Any]) -> Any:
    """The client's correlation id, echoed only when it is a string or an integer of sane size."""
    value = message.get("correlation_id")
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and len(value) <= 128:
        return value
    if isinstance(value, int) and abs(value) < 2**63:
        return value
    return None
