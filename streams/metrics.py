"""The WebSocket gateway's Prometheus series (connections, subscriptions, deliveries, the relay).

Counters move where things happen, at a cost of about a microsecond each, and never per socket write:
the hub counts a fan-out's deliveries once per run of events. What is cheaper to read than to track
(subscriptions per channel, bytes waiting for slow consumers, the event log's ages) is set just before
each scrape (streams/monitoring.py). Labelled children are looked up once per label value.
"""

import functools

from prometheus_client import Counter, Gauge, Histogram

from .protocol import CloseCode

CONNECTIONS_OPEN = Gauge("cantondex_ws_connections_open", "WebSocket connections open in this process (authenticated or not)")
CONNECTIONS_OPENED = Counter("cantondex_ws_connections_opened", "WebSocket connections accepted")
CONNECTIONS_CLOSED = Counter(
    "cantondex_ws_connections_closed", "WebSocket connections ended, by close code (1006: dropped without a close)", ["code"]
)
AUTH_FAILURES = Counter("cantondex_ws_auth_failures", "WebSocket authentications refused or lapsed, by reason", ["reason"])
SUBSCRIPTIONS = Gauge("cantondex_ws_subscriptions", "Streams followed by this process's sockets, by channel", ["channel"])
DELIVERIES = Counter("cantondex_ws_deliveries", "Live events handed to subscribed sockets by the hub, by channel", ["channel"])
SEND_QUEUE_BYTES = Gauge(
    "cantondex_ws_send_queue_bytes", "Bytes of events waiting for slow consumers to read what was sent before (all sockets)"
)
SLOW_CONSUMER_DISCONNECTS = Counter(
    "cantondex_ws_slow_consumer_disconnects", "Sockets closed because the client did not read fast enough (close code 4030)"
)
RELAY_LAG = Histogram(
    "cantondex_relay_lag_seconds",
    "Time from an event's write to the event log to its hand-over to the channel layer by the relay",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
EVENT_LOG_OLDEST_UNRELAYED_AGE = Gauge(
    "cantondex_event_log_oldest_unrelayed_age_seconds", "Age of the oldest event not relayed yet (0 when every event is relayed)"
)
EVENT_LOG_NEWEST_AGE = Gauge("cantondex_event_log_newest_age_seconds", "Age of the newest event in the event log (NaN when it is empty)")

# Codes a close can carry that are worth a series each; a client's own 3000-4999 codes are "other".
_KNOWN_CLOSE_CODES = frozenset(range(1000, 1016)) | {
    value for name, value in vars(CloseCode).items() if not name.startswith("_") and isinstance(value, int)
}

AUTH_INVALID_CREDENTIALS = AUTH_FAILURES.labels(reason="invalid_credentials")  # an auth message's token or key refused
AUTH_TIMEOUT = AUTH_FAILURES.labels(reason="auth_timeout")  # no auth message in time
AUTH_TOKEN_EXPIRED = AUTH_FAILURES.labels(reason="token_expired")  # the token lapsed and was not replaced
AUTH_USER_MISMATCH = AUTH_FAILURES.labels(reason="user_mismatch")  # a new token for another user on the same socket


def connection_closed(code: int | None) -> Counter:
    """The counter of closes with `code`."""
    return _closed(str(code) if code in _KNOWN_CLOSE_CODES else "other")


@functools.cache
def _closed(label: str) -> Counter:
    return CONNECTIONS_CLOSED.labels(code=label)


@functools.cache
def deliveries(channel: str) -> Counter:
    """The delivery counter of `channel`, which a stream or a coalescer looks up once when it starts."""
    return DELIVERIES.labels(channel=channel)
