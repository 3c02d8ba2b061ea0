"""One WebSocket test client: send JSON, wait for a message by type, with timeouts.

It reads through a transport: Channels' WebsocketCommunicator on the ASGI application (protocol tests),
or a real socket to a running daphne (`WsClient.open(url)`, the `websockets` package).
"""

import asyncio
from typing import Any, Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed as SocketClosed

from kernel.json import dumps, loads
from tests.event_shapes import check_delivered

TIMEOUT_S = 5.0
NO_CLOSE_FRAME = 1006  # what a client sees when the socket went without a close frame


class ConnectionClosed(Exception):
    def __init__(self, code: int):
        super().__init__(f"closed with code {code}")
        self.code = code


class Transport(Protocol):
    async def send(self, text: str) -> None: ...

    async def send_bytes(self, data: bytes) -> None: ...

    async def receive(self, timeout: float) -> str:
        """The next text frame; ConnectionClosed once the server closed, TimeoutError after `timeout`."""

    async def nothing_within(self, timeout: float) -> bool:
        """True if no frame arrives within `timeout`; a frame that does arrive is still received next."""

    async def close(self) -> None: ...


class WsClient:
    def __init__(self, transport: Transport):
        self.transport = transport
        self.received: list[dict[str, Any]] = []  # every message read, in order

    @classmethod
    async def open(cls, url: str, **kwargs: Any) -> "WsClient":
        """A client on a real socket (keyword arguments go to websockets' connect)."""
        return cls(SocketTransport(await connect(url, open_timeout=TIMEOUT_S, **kwargs)))

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.transport.send(message if isinstance(message, str) else dumps(message))

    async def send_bytes(self, data: bytes) -> None:
        await self.transport.send_bytes(data)

    async def next(self, timeout: float = TIMEOUT_S) -> dict[str, Any]:
        message = loads(await self.transport.receive(timeout))
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
        return await self.transport.nothing_within(timeout)

    async def close(self) -> None:
        await self.transport.close()


class CommunicatorTransport:
    """In process, on the ASGI application: Channels' WebsocketCommunicator."""

    def __init__(self, communicator):
        self.communicator = communicator

    async def send(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def send_bytes(self, data: bytes) -> None:
        await self.communicator.send_to(bytes_data=data)

    async def receive(self, timeout: float) -> str:
        output = await self.communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            raise ConnectionClosed(output.get("code", 1000))
        output["text"].encode()  # as daphne must: text it cannot encode closes a real socket with 1011
        return output["text"]

    async def nothing_within(self, timeout: float) -> bool:
        return await self.communicator.receive_nothing(timeout)

    async def close(self) -> None:
        try:
            await self.communicator.disconnect()
        except Exception:
            pass  # the application may have closed first


class SocketTransport:
    """A real socket to a running server."""

    def __init__(self, socket: ClientConnection):
        self.socket = socket
        self.early: str | None = None  # a frame nothing_within() read; receive() returns it first

    async def send(self, text: str) -> None:
        await self.socket.send(text)

    async def send_bytes(self, data: bytes) -> None:
        await self.socket.send(data)

    async def receive(self, timeout: float) -> str:
        if self.early is not None:
            text, self.early = self.early, None
            return text
        try:
            received: str | bytes = await asyncio.wait_for(self.socket.recv(), timeout)
            assert isinstance(received, str), "the gateway sends text frames only"
            return received
        except SocketClosed as closed:
            raise ConnectionClosed(closed.rcvd.code if closed.rcvd else NO_CLOSE_FRAME) from closed

    async def nothing_within(self, timeout: float) -> bool:
        if self.early is None:
            try:
                self.early = await self.receive(timeout)
            except TimeoutError:
                return True
            except ConnectionClosed:
                pass  # receive() says so again
        return False

    def abort(self) -> None:
        """Drop the connection without a close handshake (which would wait behind unread frames)."""
        self.socket.transport.abort()

    async def close(self) -> None:
        await self.socket.close()
