"""The Python SDK's order helpers against real daphne. Over REST: client_order_id retries, lookup by client id,
cancel-all and the dead-man's switch. On the socket: each order message answered to its caller (order_accepted,
order_rejected, or RequestError for an error) while the orders stream announces the change, cancel-on-disconnect,
and requests refused at once without a connection."""

from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from cantondex_client import Client, Connected, Disconnected, NotConnectedError, RequestError, ServerError, Subscribed, events
from cantondex_client.rest import ApiError, Rest

from tests.clients.support import PASSWORD, next_of, restartable  # noqa: F401  (fixture)
from tests.conftest import token_for
from tests.e2e.conftest import make_trader  # noqa: F401  (fixture)
from tests.e2e.server import daphne, daphne_servers  # noqa: F401  (fixtures)
from trading.models import CancelAllAfter

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


async def test_place_an_order_twice_by_client_id_find_it_and_cancel_everything(daphne, make_trader):
    user = await make_trader()
    token = token_for(user)

    async def authorization() -> str:
        return f"Bearer {token}"

    rest = Rest(daphne.base_url, authorization)

    async def place() -> dict:
        return await rest.place_order(
            symbol="AAPL/USDC", side="buy", quantity=Decimal("2"), price=Decimal("1.5"), client_order_id="sdk-1", post_only=True
        )

    placed = await place()
    assert (placed["client_order_id"], placed["post_only"], placed["price"]) == ("sdk-1", True, Decimal("1.5"))
    assert await place() == placed
    assert await rest.get_order_by_client_id("sdk-1") == placed == await rest.get_order(placed["order_id"])
    with pytest.raises(ApiError) as refused:
        await rest.cancel_all_after(86401)
    assert refused.value.status == 400
    assert (await rest.cancel_all_after(60))["trigger_time"] is not None
    assert (await rest.cancel_all_after(0))["trigger_time"] is None
    assert await rest.cancel_all("AAPL/USDC") == {"cancelled": [placed["order_id"]], "count": 1}


def trader_client(base_url: str, user, **options: Any) -> Client:
    return Client(base_url, username=user.username, password=PASSWORD, **options)


@sync_to_async
def switch_armed(user) -> bool:
    return CancelAllAfter.objects.filter(account_id=user.account.id).exists()


async def test_an_order_placed_on_the_socket_is_answered_then_announced_and_a_retry_places_nothing(daphne, make_trader):
    user = await make_trader()
    client = trader_client(daphne.base_url, user)
    seen: list = []

    async def place() -> dict:
        return await client.place_order(
            symbol="AAPL/USDC", side="buy", quantity=Decimal("2"), price=Decimal("1.25"), client_order_id="socket-1", post_only=True
        )

    async with client:
        items = aiter(client)
        await client.subscribe("orders")
        await next_of(items, Subscribed, seen)
        accepted = await place()
        created = await next_of(items, events.OrderCreated, seen)
        retried = await place()
        orders = (await client.rest.list_orders())["results"]
    seen += [item async for item in items]  # after close(): everything the client queued

    order = accepted["order"]
    assert (accepted["type"], accepted["request"], accepted["created"]) == ("order_accepted", "place_order", True)
    assert (order["client_order_id"], order["status"], order["price"], order["post_only"]) == ("socket-1", "open", Decimal("1.25"), True)
    assert (created.order_id, created.client_order_id, created.price, created.post_only) == (order["order_id"], "socket-1", Decimal("1.25"), True)
    assert (retried["type"], retried["created"], retried["order"]) == ("order_accepted", False, order)
    assert [row["order_id"] for row in orders] == [order["order_id"]]
    assert not [item for item in seen if isinstance(item, dict | ServerError)]  # the replies went to their callers only


async def test_business_refusals_are_order_rejected_and_unreadable_messages_raise_request_error(daphne, make_trader):
    user = await make_trader()  # 1,000,000 USDC
    async with trader_client(daphne.base_url, user) as client:
        await next_of(aiter(client), Connected)
        too_dear = await client.place_order(symbol="AAPL/USDC", side="buy", quantity=Decimal("100000"), price=Decimal("100"))
        # A malformed quantity is refused by the REST serializer, as over REST: VALIDATION_ERROR per field.
        malformed = await client.request(
            {"type": "place_order", "symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": "1.2.3", "price": "1"}
        )
        with pytest.raises(RequestError) as unreadable:
            await client.cancel_order("")
        orders = (await client.rest.list_orders())["results"]

    assert (too_dear["type"], too_dear["request"], too_dear["code"]) == ("order_rejected", "place_order", "INSUFFICIENT_FUNDS")
    assert (malformed["type"], malformed["code"], list(malformed["details"]["errors"])) == ("order_rejected", "VALIDATION_ERROR", ["quantity"])
    assert (unreadable.value.code, unreadable.value.details) == ("INVALID_REQUEST", {"field": "order_id"})
    assert orders == []


async def test_cancel_one_cancel_all_the_dead_mans_switch_and_cancel_on_disconnect(daphne, make_trader):
    user = await make_trader()
    async with trader_client(daphne.base_url, user) as watcher:
        watched = aiter(watcher)
        await watcher.subscribe("orders")
        await next_of(watched, Subscribed)
        async with trader_client(daphne.base_url, user) as bot:
            await next_of(aiter(bot), Connected)
            aapl = [(await bot.place_order(symbol="AAPL/USDC", side="buy", quantity=Decimal("1"), price=Decimal(price)))["order"]["order_id"]
                    for price in ("1", "2")]
            googl = (await bot.place_order(symbol="GOOGL/USDC", side="buy", quantity=Decimal("1"), price=Decimal("1")))["order"]["order_id"]

            one = await bot.cancel_order(aapl[0])
            again = await bot.cancel_order(aapl[0])
            one_market = await bot.cancel_all("AAPL/USDC")
            armed = await bot.cancel_all_after(60)
            armed_in_database = await switch_armed(user)
            disarmed = await bot.cancel_all_after(0)
            on_disconnect = await bot.set_cancel_on_disconnect(True)
        # The bot's connection closed: the server cancels the account's open orders.
        cancelled = [await next_of(watched, events.OrderCancelled) for _ in range(3)]

    assert (one["type"], one["request"], one["order"]["order_id"], one["order"]["status"]) == ("order_accepted", "cancel_order", aapl[0], "cancelled")
    assert (again["type"], again["code"]) == ("order_rejected", "ORDER_NOT_OPEN")
    assert (one_market["type"], one_market["cancelled"], one_market["count"]) == ("order_accepted", [aapl[1]], 1)
    assert armed["trigger_time"] > armed["current_time"] and armed_in_database
    assert disarmed["trigger_time"] is None and not await switch_armed(user)
    assert (on_disconnect["type"], on_disconnect["cancel_on_disconnect"]) == ("order_accepted", True)
    assert [(event.order_id, event.reason) for event in cancelled] == [
        (aapl[0], "user_requested"), (aapl[1], "cancel_all"), (googl, "cancel_on_disconnect")
    ]


async def test_a_request_without_a_connection_raises_at_once_and_requests_work_again_after_a_reconnect(restartable, make_trader):
    user = await make_trader()
    client = trader_client(restartable.server.base_url, user, backoff_initial_s=0.05, backoff_max_s=0.5)

    async def place(client_order_id: str) -> dict:
        return await client.place_order(symbol="AAPL/USDC", side="buy", quantity=Decimal("1"), price=Decimal("1"), client_order_id=client_order_id)

    with pytest.raises(NotConnectedError):
        await place("before-start")
    async with client:
        items = aiter(client)
        await next_of(items, Connected)
        await sync_to_async(restartable.stop)()
        await next_of(items, Disconnected)
        with pytest.raises(NotConnectedError):
            await place("server-down")
        await sync_to_async(restartable.start_again)()
        reconnected = await next_of(items, Connected)
        placed = await place("reconnected")
    with pytest.raises(NotConnectedError):
        await place("after-close")

    assert reconnected.reconnect is True and placed["created"] is True
    assert [row["client_order_id"] for row in (await client.rest.list_orders())["results"]] == ["reconnected"]
