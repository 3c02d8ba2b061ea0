"""A real WebSocket client (the `websockets` package) with the same helpers as tests.support.WsClient."""

import asyncio
import urllib.request
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from kernel.json import dumps, loads
from tests.conftest import token_for
from tests.event_shapes import check_delivered
from tests.support import TIMEOUT_S


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


class LiveClient:
    def __init__(self, socket):
        self.socket = socket
        self.received: list[dict[str, Any]] = []

    @classmethod
    async def open(cls, url: str, **kwargs: Any) -> "LiveClient":
        return cls(await connect(url, open_timeout=TIMEOUT_S, **kwargs))

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(dumps(message))

    async def next(self, timeout: float = TIMEOUT_S) -> dict[str, Any]:
        message = loads(await asyncio.wait_for(self.socket.recv(), timeout))
        self.received.append(message)
        check_delivered(message)
        return message

    async def request(self, message: dict[str, Any], timeout: float = TIMEOUT_S) -> dict[str, Any]:
        await self.send(message)
        return await self.next(timeout)

    async def wait_for(self, message_type: str, timeout: float = TIMEOUT_S, **fields: Any) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                message = await self.next(timeout)
                if message["type"] == message_type and all(message.get(k) == v for k, v in fields.items()):
                    return message

    async def wait_closed(self, timeout: float = TIMEOUT_S) -> int:
        """Reads until the server closes; returns the close code it sent."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self.next(timeout)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else 1006

    async def close(self) -> None:
        await self.socket.close()
