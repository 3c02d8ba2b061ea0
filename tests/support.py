"""A small test client over WebsocketCommunicator: send JSON, wait for a message by type, with timeouts."""

import asyncio
from typing import Any

from kernel.json import dumps, loads
from tests.event_shapes import check_delivered

TIMEOUT_S = 5.0


class WsClient:
    def __init__(self, communicator):
        self.communicator = communicator
        self.received: list[dict[str, Any]] = []  # every message read, in order
        self.closed_with: int | None = None

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.communicator.send_to(text_data=message if isinstance(message, str) else dumps(message))

    async def next(self, timeout: float = TIMEOUT_S) -> dict[str, Any]:
        output = await self.communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            self.closed_with = output.get("code", 1000)
            raise ConnectionClosed(self.closed_with)
        message = loads(output["text"])
        self.received.append(message)
        check_delivered(message)
        return message

    async def wait_for(self, message_type: str, timeout: float = TIMEOUT_S, **fields: Any) -> dict[str, Any]:
        """The next message of this type (and these field values); others read on the way are kept."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {message_type} {fields} within {timeout}s; got {self.received[-5:]}")
            message = await self.next(remaining)
            if message["type"] == message_type and all(message.get(k) == v for k, v in fields.items()):
                return message

    async def request(self, message: dict[str, Any] | str, timeout: float = TIMEOUT_S) -> dict[str, Any]:
        await self.send(message)
        return await self.next(timeout)

    async def wait_closed(self, timeout: float = TIMEOUT_S) -> int:
        """Reads until the server closes the socket; returns the close code."""
        try:
            while True:
                await self.next(timeout)
        except ConnectionClosed as closed:
            return closed.code

    async def nothing_more(self, timeout: float = 0.2) -> bool:
        """True if no message arrives within `timeout` (for asserting that something was not sent)."""
        return await self.communicator.receive_nothing(timeout)

    async def close(self) -> None:
        try:
            await self.communicator.disconnect()
        except Exception:
            pass


class ConnectionClosed(Exception):
    def __init__(self, code: int):
        super().__init__(f"closed with code {code}")
        self.code = code
