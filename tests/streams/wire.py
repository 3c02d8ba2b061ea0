"""Checks of the message format every protocol test shares."""

import re
from typing import Any

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")


def assert_error(message: dict[str, Any], code: str, correlation_id: Any = None) -> dict[str, Any]:
    """An error in the seed's format with this code; returns its details."""
    expected_keys = {"type", "code", "message", "details", "error", "timestamp"} | ({"correlation_id"} if correlation_id else set())
    assert message.get("type") == "error" and message.get("code") == code, message
    assert set(message) == expected_keys, message
    assert isinstance(message["message"], str) and message["message"]
    assert isinstance(message["details"], dict)
    assert message["error"] == {"code": code, "message": message["message"], "details": message["details"]}, message
    assert ISO_UTC.match(message["timestamp"]), message
    if correlation_id is not None:
        assert message["correlation_id"] == correlation_id
    return message["details"]


DIRECT_REPLIES = {"auth_response", "subscription_response", "unsubscribe_response", "pong", "error"}


async def next_reply(client) -> dict[str, Any]:
    """The next direct reply, skipping events (snapshots) and server pings read on the way."""
    while True:
        message = await client.next()
        if message["type"] in DIRECT_REPLIES:
            return message
