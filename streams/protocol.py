"""The wire protocol: message parsing, error codes and the messages the server writes."""

from enum import StrEnum
from typing import Any

from kernel.inputs import string_problem, unusable_string_find
from kernel.json import TooDeeplyNested, dumps, loads, nesting_check, utcnow_iso


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
    # A message far over the size limit (CDX_WS_CLOSE_MESSAGE_BYTES): RFC 6455's 1009 in the application's
    # range, because daphne's autobahn lets an application close only with 1000 or 3000-4999.
    MESSAGE_TOO_BIG = 4009
    # The server is shutting down (SIGTERM, a rolling restart): reconnect, to any server, and resume with
    # `since`. RFC 6455's 1012 (Service Restart) in the application's range, for the same reason as 4009.
    SERVICE_RESTART = 4012
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


# Client input bounds. Real messages nest three levels ({"channels": [{"symbols": [...]}]}) and their
# longest string is a JWT of a few hundred characters.
MAX_DEPTH = 16
MAX_STRING_CHARS = 2048
MAX_ECHOED_CORRELATION_ID_CHARS = 128


def parse(text: str | None) -> dict[str, Any]:
    """A client message as a dict, or INVALID_REQUEST saying what is wrong."""
    if text is None:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "Messages must be JSON text frames")
    try:
        message = loads(text)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:
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
    """The client's correlation id, echoed only when it is a usable string or an integer of sane size."""
    value = message.get("correlation_id")
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and len(value) <= MAX_ECHOED_CORRELATION_ID_CHARS and string_problem(value, max_chars=MAX_STRING_CHARS) is None:
        return value
    if isinstance(value, int) and abs(value) < 2**63:
        return value
    return None


def inputs_check(message: dict[str, Any], text: str) -> None:
    """INVALID_REQUEST naming the first field whose string cannot be used, or saying the message (`text`,
    already parsed, so the error can echo its correlation id) nests deeper than MAX_DEPTH.

    Every string (keys included) of every message, before anything reads it: a lone surrogate cannot be
    encoded into the reply that echoes it (the socket would close with 1011), PostgreSQL refuses NUL,
    and long strings cost memory and logs. The same check as REST bodies (kernel.inputs).
    """
    try:
        nesting_check(text, max_depth=MAX_DEPTH)
    except TooDeeplyNested:
        raise _too_deep() from None
    if found := unusable_string_find(message, max_chars=MAX_STRING_CHARS, root=""):
        raise _invalid_field(*found)


def _invalid_field(where: str, problem: str) -> ProtocolError:
    return ProtocolError(ErrorCode.INVALID_REQUEST, f"'{where}' {problem}", {"field": where, "reason": problem})


def _too_deep() -> ProtocolError:
    return ProtocolError(
        ErrorCode.INVALID_REQUEST, f"Message nests deeper than {MAX_DEPTH} levels", {"reason": "too_deep", "max_depth": MAX_DEPTH}
    )
