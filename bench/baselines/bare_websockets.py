"""Baseline (b): a bare `websockets` broadcast server, compression off: `python -m bench.baselines.bare_websockets PORT`.

Same client protocol as the project (auth with the JWT, subscribe, ping); each event from the
publisher's socket (/publish) is encoded once and written to every subscriber with
websockets' `broadcast`. What Python can do with no framework in the way.
"""

import asyncio
import sys

from websockets.asyncio.server import broadcast, serve

from bench.baselines.common import MARKET_DATA, encode, reply, subscription_items, user_of
from kernel.json import loads

subscribers: dict[str, set] = {}


async def handler(socket) -> None:
    if socket.request.path == "/publish":
        async for text in socket:
            event = loads(text)
            broadcast(subscribers.get(event["symbol"], ()), encode(event))
        return
    user_id = None
    followed: list[str] = []
    try:
        async for text in socket:
            message = loads(text)
            kind = message.get("type")
            if kind == "auth":
                user_id = user_of(message.get("token"))
                status = "authenticated" if user_id is not None else "failed"
                await socket.send(encode(reply("auth_response", status=status)))
            elif kind == "subscribe" and user_id is not None:
                for item in subscription_items(message):
                    if item.get("channel") == MARKET_DATA:
                        for symbol in item.get("symbols", []):
                            subscribers.setdefault(symbol, set()).add(socket)
                            followed.append(symbol)
                    await socket.send(encode(reply("subscription_response", channel=item.get("channel"), status="subscribed")))
            elif kind == "ping":
                await socket.send(encode(reply("pong")))
    finally:
        for symbol in followed:
            subscribers[symbol].discard(socket)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, compression=None, backlog=1024, max_queue=None) as server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
