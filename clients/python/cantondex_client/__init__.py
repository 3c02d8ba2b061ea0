"""CantonDEX client: a WebSocket that resumes without loss, typed events with exact decimals, order entry on the
socket, REST helpers.

Event classes live in `cantondex_client.events` (`events.OrderCreated`, ...).
"""

from . import events
from .auth import ApiKeyAuth, AuthError, JwtAuth, Tokens
from .client import Client, ConnectionLostError, NotConnectedError, RequestError, Subscribed
from .events import EVENT_TYPES, Connected, Disconnected, Event, ResyncRequired, ServerError, parse_event
from .rest import ApiError, Rest

__all__ = [
    "EVENT_TYPES",
    "ApiError",
    "ApiKeyAuth",
    "AuthError",
    "Client",
    "Connected",
    "ConnectionLostError",
    "Disconnected",
    "Event",
    "JwtAuth",
    "NotConnectedError",
    "RequestError",
    "Rest",
    "ResyncRequired",
    "ServerError",
    "Subscribed",
    "Tokens",
    "events",
    "parse_event",
]
