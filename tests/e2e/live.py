"""Real HTTP to a running server, beside the WebSocket client (tests.support.ws.WsClient.open)."""

import urllib.request

from kernel.json import dumps, loads
from tests.conftest import token_for


def post_order(base_url: str, user, **order) -> dict:
    """POST /v1/orders over real HTTP as `user` (a limit order unless `order` says otherwise); the created order."""
    request = urllib.request.Request(
        f"{base_url}/v1/orders",
        data=dumps({"order_type": "limit", **order}).encode(),
        headers={"Authorization": f"Bearer {token_for(user)}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return loads(response.read())
