"""The WebSocket protocol as an AsyncAPI 3.0 document, generated from what the gateway runs.

Channels come from the registry (filled by the domain apps at start), events from their declarations
(streams.events), client messages from the consumer's handlers and the domain apps' registered messages
(streams.client_messages, with their descriptions), error codes from the protocol, so the document cannot
drift from the code. Only the transport's own messages (auth, subscribe, the replies) are described here,
next to the code that defines them.
"""

import typing
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

from . import client_messages, registry
from .consumer import GatewayConsumer
from .events import Event, declared, field_types, optional_of
from .protocol import MAX_ECHOED_CORRELATION_ID_CHARS, ErrorCode

WS_PATH = "/v1/ws"
CONNECTION = "connection"  # the AsyncAPI channel of the socket's own messages (auth, subscribe, replies)

_TIMESTAMP = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC, milliseconds, Z"}
_CORRELATION_ID = {
    "oneOf": [{"type": "string", "maxLength": MAX_ECHOED_CORRELATION_ID_CHARS}, {"type": "integer"}],
    "description": "Chosen by the client; echoed by every direct reply",
}
_DECIMAL = {"type": "number", "description": "An exact decimal written as a JSON number (read it losslessly)"}


def _object(properties: dict[str, Any], required: list[str], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
    if description:
        schema["description"] = description
    return schema


def _channel_names() -> list[str]:
    return sorted(set(registry.names()) | {event.channel for event in declared().values()})


# Client messages: one per consumer handler (a handler without a schema here fails the document), and
# every message a domain app registered, as it describes itself.
def _client_messages() -> dict[str, dict[str, Any]]:
    channel_names = {"type": "string", "enum": registry.names()}
    parameters: dict[str, Any] = {
        "channel": channel_names,
        "since": {"type": "integer", "minimum": 0, "description": "Resume a durable stream after this sequence"},
        **{name: schema for channel in map(registry.get, registry.names()) for name, schema in channel.parameters.items()},
    }
    subscription = _object(parameters, ["channel"])
    schemas: dict[str, tuple[str, dict[str, Any], list[str]]] = {
        "auth": (
            "Authenticate with a JWT access token or an API key (one of them)",
            {"token": {"type": "string", "description": "JWT access token, `Bearer ` prefix allowed"}, "api_key": {"type": "string"}},
            [],
        ),
        "subscribe": (
            "Subscribe to one stream, or to several with `channels`",
            {**parameters, "channels": {"type": "array", "items": subscription, "minItems": 1}},
            [],
        ),
        "unsubscribe": (
            "Stop a subscription (same parameters as subscribe)",
            {key: value for key, value in parameters.items() if key != "since"},
            ["channel"],
        ),
        "ping": ("Ask for a pong", {}, []),
        "pong": ("Answer the server's ping", {}, []),
    }
    for kind, described in client_messages.described().items():
        schemas[kind] = (described.summary, described.fields, list(described.required))
    kinds = [*GatewayConsumer.HANDLERS, *client_messages.described()]
    return {
        kind: _message(kind, description, {**fields, "correlation_id": _CORRELATION_ID}, required)
        for kind, (description, fields, required) in ((kind, schemas[kind]) for kind in kinds)
    }


def _domain_replies() -> dict[str, dict[str, Any]]:
    """The direct replies of the domain apps' messages, no sequence (no stream): the fields their messages
    describe, else `payload` under a channel (the auction seed's form)."""
    fields: dict[str, dict[str, Any]] = {}
    for described in client_messages.described().values():
        for reply in described.replies:
            fields.setdefault(reply, {}).update(described.reply_fields)
    seed_form = {"channel": {"type": "string"}, "payload": {"type": "object"}}
    return {
        f"{kind}_reply": _message(
            kind,
            "A direct reply: no sequence, it belongs to no stream",
            {**(fields[kind] or seed_form), "timestamp": _TIMESTAMP, "correlation_id": _CORRELATION_ID},
            ["timestamp"],
        )
        for kind in sorted(fields)
    }


def _server_messages() -> dict[str, dict[str, Any]]:
    status_fields: dict[str, Any] = {"channel": {"type": "string"}, "status": {"type": "string"}, "message": {"type": "string"}}
    replies: dict[str, tuple[str, dict[str, Any], list[str]]] = {
        "auth_response": (
            "The answer to auth",
            {
                "status": {"type": "string", "enum": ["authenticated", "failed"]},
                "account_id": {"type": ["string", "null"], "description": "null for users without a trading account"},
                "message": {"type": "string"},
                "error_code": {"type": "string", "enum": ["INVALID_TOKEN"]},
                "error_message": {"type": "string"},
            },
            ["status"],
        ),
        "subscription_response": (
            "One subscribed stream (the request's parameters echoed); with `since`, the outcome of the resume",
            {
                **status_fields,
                "recovered": {"type": "boolean"},
                "replayed": {"type": "integer", "description": "Missed events that follow (recovered: true)"},
                "reason": {"type": "string", "enum": ["window_exceeded", "ahead"]},
                "resync": {"type": "string", "description": "What to reload over REST (recovered: false)"},
                "sequence": {"type": "integer", "description": "The stream's last sequence (recovered: false)"},
            },
            ["channel", "status", "message"],
        ),
        "unsubscribe_response": ("One unsubscribed stream (the request's parameters echoed)", status_fields, ["channel", "status", "message"]),
        "server_ping": ("The heartbeat: answer with pong", {}, []),
        "server_pong": ("The answer to ping", {}, []),
        "error": (
            "A refused message or a closing connection (details.closing: true, then the close code)",
            {
                "code": {"type": "string", "description": "The transport's codes, or a domain's own", "examples": [str(code) for code in ErrorCode]},
                "message": {"type": "string"},
                "details": {"type": "object"},
                "error": _object(
                    {"code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}},
                    ["code", "message", "details"],
                    "The same three fields, nested",
                ),
            },
            ["code", "message", "details"],
        ),
    }
    messages = {}
    for key, (description, fields, required) in replies.items():
        kind = key.removeprefix("server_")
        properties = {**fields, "timestamp": _TIMESTAMP, "correlation_id": _CORRELATION_ID}
        messages[key] = _message(kind, description, properties, [*required, "timestamp"])
    return messages


def _message(kind: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    payload = _object({"type": {"type": "string", "const": kind}, **properties}, ["type", *required])
    return {"name": kind, "title": kind, "summary": description, "payload": payload}


# Events


def field_schema(annotation: Any) -> dict[str, Any]:
    """The JSON Schema of one declared field's annotation (None allowed when the annotation allows it)."""
    inner = optional_of(annotation)
    schema = _plain_schema(inner)
    if inner is not annotation:
        return {"oneOf": [schema, {"type": "null"}]}
    return schema


def _plain_schema(annotation: Any) -> dict[str, Any]:
    origin = typing.get_origin(annotation) or annotation
    arguments = typing.get_args(annotation)
    if origin is Decimal:
        return dict(_DECIMAL)
    if origin is datetime:
        return dict(_TIMESTAMP)
    if origin is bool:
        return {"type": "boolean"}
    if origin is int:
        return {"type": "integer"}
    if origin is str:
        return {"type": "string"}
    if origin is typing.Literal:
        return {"enum": list(arguments)}
    if origin is list:
        return {"type": "array", "items": _plain_schema(arguments[0]) if arguments else {}}
    if origin is dict:
        return {"type": "object", "additionalProperties": _plain_schema(arguments[1]) if arguments else {}}
    return {}  # Any


def _event_message(event: type[Event]) -> dict[str, Any]:
    fields = {name: field_schema(annotation) for name, annotation in field_types(event).items()}
    delivery: dict[str, Any] = {
        "channel": {"type": "string", "const": event.channel},
        "sequence": {"type": "integer", "minimum": 0, "description": "Gap-free per stream; in a snapshot, the last one it includes"},
        "timestamp": _TIMESTAMP,
        "snapshot": {"type": "boolean", "description": "true on events of a snapshot"},
    }
    channel = registry.get(event.channel) if event.channel in registry.names() else None
    if channel is not None and not channel.durable:
        delivery["aggregation"] = {"type": "string", "enum": list(registry.AGGREGATIONS[1:]), "description": "On coalesced messages"}
    if event.envelope:
        body = {event.envelope: _object(fields, list(fields))}
        required = [event.envelope]
    else:
        body, required = fields, list(fields)
    payload = _object({"type": {"type": "string", "const": event.type}, **body, **delivery}, ["type", *required, "channel", "sequence", "timestamp"])
    summary = (event.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ") if event.__doc__ != Event.__doc__ else ""
    message = {"name": event.type, "title": event.type, "payload": payload, "x-channel": event.channel}
    if summary and not summary.startswith(f"{event.__name__}("):  # not dataclass's generated signature
        message["summary"] = summary
    return message


def _channel(name: str, events: list[str]) -> dict[str, Any]:
    channel = registry.get(name) if name in registry.names() else None
    description = f"Subscribe with `{{\"type\": \"subscribe\", \"channel\": \"{name}\"}}` over {WS_PATH}."
    if channel is not None:
        description += " Resume with `since`." if channel.durable else " Latest state: `since` is ignored."
        if channel.snapshot is not None:
            description += " A snapshot follows the subscription_response."
    result: dict[str, Any] = {
        "address": name,
        "title": name,
        "description": description,
        "messages": {event: {"$ref": f"#/components/messages/{event}"} for event in events},
    }
    if channel is not None:
        result["x-subscribe-parameters"] = _object(channel.parameters, [])
        result["x-durable"] = channel.durable
        result["x-snapshot"] = channel.snapshot is not None
    return result


def document() -> dict[str, Any]:
    events = declared()
    by_channel: dict[str, list[str]] = {name: [] for name in _channel_names()}
    for kind, event in sorted(events.items()):
        by_channel[event.channel].append(kind)
    client, server = _client_messages(), {**_server_messages(), **_domain_replies()}
    control = {**client, **server}
    channels = {
        CONNECTION: {
            "address": WS_PATH,
            "title": "The connection",
            "description": "Authentication, subscriptions, heartbeat and errors: JSON text frames, one object each.",
            "messages": {key: {"$ref": f"#/components/messages/{key}"} for key in control},
        },
        **{name: _channel(name, kinds) for name, kinds in by_channel.items()},
    }
    replies = {
        "auth": ["auth_response", "error"],
        "subscribe": ["subscription_response", "error"],
        "unsubscribe": ["unsubscribe_response", "error"],
        "ping": ["server_pong"],
        **{kind: [*(f"{reply}_reply" for reply in described.replies), "error"] for kind, described in client_messages.described().items()},
    }
    operations: dict[str, Any] = {}
    for kind in client:
        operation: dict[str, Any] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{CONNECTION}"},
            "messages": [{"$ref": f"#/channels/{CONNECTION}/messages/{kind}"}],
        }
        if kind in replies:
            operation["reply"] = {
                "channel": {"$ref": f"#/channels/{CONNECTION}"},
                "messages": [{"$ref": f"#/channels/{CONNECTION}/messages/{reply}"} for reply in replies[kind]],
            }
        operations[f"send_{kind}"] = operation
    operations["receive_control"] = {
        "action": "receive",
        "channel": {"$ref": f"#/channels/{CONNECTION}"},
        "messages": [{"$ref": f"#/channels/{CONNECTION}/messages/{key}"} for key in ("server_ping", "error")],
    }
    for name, kinds in by_channel.items():
        operations[f"receive_{name}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{name}"},
            "messages": [{"$ref": f"#/channels/{name}/messages/{kind}"} for kind in kinds],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "CantonDEX gateway WebSocket API",
            "version": settings.API_VERSION,
            "description": (
                "One WebSocket, JSON text frames. Authenticate (auth), subscribe to channels, receive their "
                "events with a gap-free sequence per stream, answer the server's ping. "
                "The REST API is described at /v1/schema."
            ),
        },
        "servers": {
            "local": {"host": "127.0.0.1:8000", "protocol": "ws", "pathname": WS_PATH, "description": "make run"},
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": {**control, **{kind: _event_message(event) for kind, event in sorted(events.items())}}},
    }
