"""The Python SDK (clients/python) against real daphne: a server restart in the middle of a stream loses and
duplicates nothing, expired access tokens are refreshed (rotating refresh tokens) without a reconnect, and
the REST helpers walk paged lists and read public market data."""

import asyncio
import os
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from cantondex_client import Client, Connected, Disconnected, JwtAuth, Subscribed, Tokens, events
from cantondex_client.rest import ApiError, Rest, request
from rest_framework_simplejwt.tokens import RefreshToken

from tests.clients.support import PASSWORD, TIMEOUT_S, fund, next_of, place_resting_order, restartable  # noqa: F401  (fixture)
from tests.conftest import token_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
EXAMPLE = Path(__file__).resolve().parents[2] / "clients" / "python" / "examples" / "follow_orders.py"


async def created_orders(items, count: int, seen: list) -> list[events.OrderCreated]:
    while sum(isinstance(item, events.OrderCreated) for item in seen) < count:
        await next_of(items, events.OrderCreated, seen)
    return [item for item in seen if isinstance(item, events.OrderCreated)]


async def account_of(user) -> str:
    account_id = await sync_to_async(lambda: user.account.id)()
    await sync_to_async(fund)(account_id)
    return account_id


async def test_a_server_restart_in_the_middle_of_a_stream_loses_and_duplicates_nothing(restartable, trader, markets):
    account_id = await account_of(trader)
    client = Client(restartable.server.base_url, username=trader.username, password=PASSWORD,
                    heartbeat_s=1, backoff_initial_s=0.05, backoff_max_s=0.5)
    seen: list = []
    async with client:
        items = aiter(client)
        await client.subscribe("orders")
        await next_of(items, Subscribed, seen)
        placed = [await place_resting_order(account_id) for _ in range(5)]
        await created_orders(items, 5, seen)

        await sync_to_async(restartable.stop)()
        await next_of(items, Disconnected, seen)
        placed += [await place_resting_order(account_id) for _ in range(5)]  # while the server is down
        await sync_to_async(restartable.start_again)()
        reconnected = await next_of(items, Connected, seen)
        placed += [await place_resting_order(account_id) for _ in range(5)]
        created = await created_orders(items, 15, seen)

    assert reconnected.reconnect is True and client.connections == 2
    assert [event.order_id for event in created] == placed
    delivered = [item.sequence for item in seen if isinstance(item, events.Event)]  # every event of the stream
    assert delivered == list(range(1, len(delivered) + 1))
    resumed = [item for item in seen if isinstance(item, Subscribed)][-1]
    assert resumed.recovered is True and resumed.replayed >= 5  # at least what was placed while the server was down
    assert all(event.price == Decimal("150.27") and event.quantity == Decimal("2") for event in created)


async def test_expired_access_tokens_are_refreshed_before_connecting_and_while_connected(restartable, trader, markets):
    account_id = await account_of(trader)
    first_refresh = await sync_to_async(lambda: str(RefreshToken.for_user(trader)))()
    expired = await sync_to_async(token_for)(trader, lifetime_s=-10)
    client = Client(restartable.server.base_url, tokens=Tokens(expired, first_refresh), heartbeat_s=1)
    assert isinstance(client.auth, JwtAuth)
    seen: list = []
    async with client:
        items = aiter(client)
        await client.subscribe("orders")
        await next_of(items, Subscribed, seen)
        placed = []
        # The expired token replaced before connecting, then two more while the socket stays open (the server
        # closes a socket whose token expires unreplaced, with 4001).
        while client.auth.refreshes < 3:
            placed.append(await place_resting_order(account_id))
            await created_orders(items, len(placed), seen)
            await asyncio.sleep(0.25)  # pacing the flow over several token lifetimes, not a synchronisation
        assert client.connections == 1
        assert not any(isinstance(item, Disconnected) for item in seen)
        assert [event.order_id for event in seen if isinstance(event, events.OrderCreated)] == placed
        # The refresh token rotated: the first one is used up.
        with pytest.raises(ApiError) as refused:
            await request(restartable.server.base_url, "POST", "/v1/auth/token/refresh", body={"refresh": first_refresh})
        assert refused.value.status == 401
        assert (await client.rest.me())["account_id"] == account_id




async def test_the_example_follows_its_order_across_a_server_restart(restartable, trader, markets):
    """examples/follow_orders.py as a user runs it: one line per event (`sequence type order_id status`)."""
    account_id = await account_of(trader)
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE), restartable.server.base_url, trader.username, PASSWORD,
        env={**os.environ, "PYTHONPATH": str(EXAMPLE.parents[1])}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    stdout, stderr = process.stdout, process.stderr
    lines: list[str] = []

    async def until(prefix: str) -> str:
        while True:
            line = (await asyncio.wait_for(stdout.readline(), TIMEOUT_S)).decode()
            assert line, (await stderr.read()).decode()
            lines.append(line.strip())
            if line.startswith(prefix):
                return line.strip()

    try:
        placed = [(await until("placed ")).split()[1]]
        await until("1 order_created")
        await sync_to_async(restartable.stop)()
        await until("Disconnected(")
        placed.append(await place_resting_order(account_id))  # while the server is down
        await sync_to_async(restartable.start_again)()
        await until("Connected(reconnect=True")
        placed.append(await place_resting_order(account_id))
        while sum(" order_created " in line for line in lines) < 3:
            await until("")
    finally:
        process.kill()
        await process.wait()
    events_printed = [line.split() for line in lines if line[0].isdigit()]
    assert [int(fields[0]) for fields in events_printed] == list(range(1, len(events_printed) + 1))
    assert [fields[2] for fields in events_printed if fields[1] == "order_created"] == placed


async def test_rest_lists_are_walked_page_by_page_and_market_data_needs_no_login(restartable, trader, markets):
    account_id = await account_of(trader)
    placed = [await place_resting_order(account_id, price=price) for price in ("150.1", "150.2", "150.3")]
    token = await sync_to_async(token_for)(trader)

    async def bearer() -> str:
        return f"Bearer {token}"

    async def nobody() -> str:
        return ""

    rest = Rest(restartable.server.base_url, bearer)
    first = await rest.list_orders(limit=2, open=True, symbol="AAPL/USDC")
    assert [order["order_id"] for order in first["results"]] == placed[:0:-1] and first["next_cursor"]
    assert [order["order_id"] async for order in rest.every("/v1/orders", limit=2)] == placed[::-1]
    assert await rest.list_orders(open=False) == {"results": [], "next_cursor": None}
    assert await rest.list_trades(symbol="AAPL/USDC") == {"results": [], "next_cursor": None}
    anonymous = Rest(restartable.server.base_url, nobody)
    book = await anonymous.orderbook("AAPL/USDC", depth=2)
    assert book["bids"] == [{"price": Decimal("150.3"), "quantity": 2}, {"price": Decimal("150.2"), "quantity": 2}] and book["asks"] == []
    assert (await anonymous.ticker("AAPL/USDC"))["bid"] == Decimal("150.3")
    with pytest.raises(ApiError) as unknown:
        await anonymous.ticker("TSLA/USDC")
    assert unknown.value.status == 404 and unknown.value.code == "MARKET_NOT_FOUND"
