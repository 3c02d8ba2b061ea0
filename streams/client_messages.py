"""Client messages a domain app answers (an auction's submit_bid, cancel_bid): registered as channels are.

The transport parses, authenticates, rate-limits and echoes `correlation_id`; it knows nothing of what
the message means. A domain app registers a handler per message type from its AppConfig.ready(); the
handler runs on the ORM thread with the message and the caller and returns the direct reply. It raises
ProtocolError for a message it cannot read (answered as an `error`).

A reply may also set (or clear) a disconnect hook on the connection that sent the message: work the
domain wants done when that socket closes, for whatever reason (trading's cancel-on-disconnect).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .principals import Principal


@dataclass(frozen=True, slots=True)
class DisconnectHook:
    """Run `callback` on the ORM thread when this connection closes; a later hook of the same `name`
    replaces it, and `callback` None removes it."""

    name: str
    callback: Callable[[], object] | None


@dataclass(frozen=True, slots=True)
class Reply:
    type: str
    fields: dict[str, Any] = field(default_factory=dict)  # written after `type`; timestamp and correlation_id follow
    disconnect_hook: DisconnectHook | None = None


Handler = Callable[[dict[str, Any], Principal], Reply]


@dataclass(frozen=True, slots=True)
class Description:
    """What the AsyncAPI document (streams/asyncapi.py) says of a registered message."""

    summary: str
    fields: dict[str, Any] = field(default_factory=dict)  # JSON Schema properties besides type and correlation_id
    required: tuple[str, ...] = ()
    replies: tuple[str, ...] = ()  # the types of its direct replies (an `error` aside)
    # JSON Schema properties of those replies; none given: the auction seed's `channel` and `payload`
    reply_fields: dict[str, Any] = field(default_factory=dict)


_handlers: dict[str, Handler] = {}
_descriptions: dict[str, Description] = {}


def register(message_type: str, handler: Handler, description: Description | None = None) -> None:
    _handlers[message_type] = handler
    _descriptions[message_type] = description or Description(summary="")


def described() -> dict[str, Description]:
    """Every registered message type and its description."""
    return dict(_descriptions)


def get(message_type: str) -> Handler | None:
    return _handlers.get(message_type)
