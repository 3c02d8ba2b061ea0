"""Log in, place an order over REST and print its events as they come, across reconnects (restart the server to see).

    python examples/follow_orders.py http://127.0.0.1:8000 alice PASSWORD
"""

import asyncio
import sys
from decimal import Decimal

from cantondex_client import Client, Subscribed, events


async def main(base_url: str, username: str, password: str) -> None:
    async with Client(base_url, username=username, password=password) as client:
        await client.subscribe("orders")
        order = None
        async for item in client:  # events, and the client's notices (Connected, Disconnected, Subscribed, ...)
            if isinstance(item, Subscribed) and order is None:
                order = await client.rest.place_order(symbol="AAPL/USDC", side="buy", quantity=Decimal("1"), price=Decimal("150.25"))
                print("placed", order["order_id"], flush=True)
            elif isinstance(item, events.Event):
                print(item.sequence, item.type, item.raw.get("order_id"), item.raw.get("status", ""), flush=True)
            else:
                print(item, flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
