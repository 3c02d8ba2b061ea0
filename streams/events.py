"""Declared events: every message a channel carries is a frozen dataclass declared once.

    class OrderCreated(Event, type="order_created", channel=ORDERS):
        account_id: str
        price: Decimal | None

A declaration names the wire `type`, the channel it travels on and its typed fields; declaring it
registers it (`declared()`), and `wire(event)` is the one encoder to the message clients get:
Decimal -> plain JSON number, datetime -> ISO 8601 Z string, None kept, dicts and lists converted
inside. `envelope="payload"` puts the fields under that key (the auction seed's form), and
`timestamp_in_envelope=True` writes the event's timestamp there too (the seed's new_bid). Every event
may carry a `timestamp` (snapshots stamp the time of the state they describe); publishing stamps
the current time otherwise. A subclass without `type=` extends a declaration (adds fields) without
declaring a new type.
"""

import typing
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from types import NoneType, UnionType
from typing import Any, ClassVar

from kernel.json import isoformat, plain

TIMESTAMP = "timestamp"

_declared: dict[str, type["Event"]] = {}


@typing.dataclass_transform(frozen_default=True, kw_only_default=True)
@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[str]
    channel: ClassVar[str]
    envelope: ClassVar[str | None] = None
    timestamp_in_envelope: ClassVar[bool] = False
    # (field, converter or None) for every declared field, in declaration order; built once per class.
    _encoders: ClassVar[tuple[tuple[str, Callable[[Any], Any] | None], ...]] = ()

    timestamp: datetime | None = None

    def __init_subclass__(
        cls,
        *,
        type: str | None = None,
        channel: str | None = None,
        envelope: str | None = None,
        timestamp_in_envelope: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if type is not None:
            if type in _declared:
                raise TypeError(f"event type {type!r} is declared twice: {_declared[type]} and {cls}")
            if channel is None:
                raise TypeError(f"{cls.__name__} declares {type!r} without a channel")
            cls.type, cls.channel, cls.envelope = type, channel, envelope
            cls.timestamp_in_envelope = timestamp_in_envelope and envelope is not None
            _declared[type] = cls
        elif not hasattr(cls, "type"):
            raise TypeError(f"{cls.__name__} must declare its wire type: class {cls.__name__}(Event, type=..., channel=...)")
        dataclass(frozen=True, kw_only=True)(cls)
        cls._encoders = tuple((name, _converter(annotation)) for name, annotation in field_types(cls).items())


def declared() -> dict[str, type[Event]]:
    """Every declared event type by its wire `type`."""
    return dict(_declared)


def field_types(cls: type[Event]) -> dict[str, Any]:
    """The declared fields of an event class and their annotations (the delivery field timestamp aside,
    unless the class also writes it in its envelope)."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls) if f.name != TIMESTAMP or cls.timestamp_in_envelope}


def wire(event: Event) -> dict[str, Any]:
    """The message of an event as clients get it, before the transport stamps channel and sequence."""
    body = {}
    for name, convert in event._encoders:
        value = getattr(event, name)
        body[name] = value if convert is None or value is None else convert(value)
    message = {"type": event.type, event.envelope: body} if event.envelope else {"type": event.type, **body}
    if event.timestamp is not None:
        message[TIMESTAMP] = isoformat(event.timestamp)
    return message


def _converter(annotation: Any) -> Callable[[Any], Any] | None:
    annotation = optional_of(annotation)
    origin = typing.get_origin(annotation) or annotation
    if origin is Decimal:
        return plain
    if origin is datetime:
        return isoformat
    if origin in (dict, list):
        return _tree
    return None


def optional_of(annotation: Any) -> Any:
    """X for `X | None`, the annotation itself otherwise."""
    if isinstance(annotation, UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [member for member in typing.get_args(annotation) if member is not NoneType]
        if len(members) == 1:
            return members[0]
    return annotation


def _tree(value: Any) -> Any:
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, dict):
        return {key: _tree(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tree(item) for item in value]
    return value
