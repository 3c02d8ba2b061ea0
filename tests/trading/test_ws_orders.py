"""Order entry over the WebSocket (WebsocketCommunicator on the real application): place_order, cancel_order,
cancel_all, cancel_all_after and cancel-on-disconnect, answered directly and announced on the orders stream."""

from decimal import Decimal as D

import pytest
from asgiref.sync import sync_to_async

from accounts.services import api_key_create
from tests.support.event_log import published
from tests.trading.test_api import client_for
from tests.trading.test_bot_orders import BID
from tests.trading.test_matching import place
from trading.models import CancelAllAfter, Order

pytestmark = pytest.mark.django_db(transaction=True)


async def subscribed_orders(authed, user):
    client = await authed(user)
    reply = await client.request({"type": "subscribe", "channel": "orders", "account_id": user.account.id})
    assert reply["status"] == "subscribed", reply
    return client


async def answer(client, message: dict, correlation_id: str) -> dict:
    """The direct reply to `message` (events of the orders stream may come first)."""
    await client.send({**message, "correlation_id": correlation_id})
    for kind in ("order_accepted", "order_rejected", "error"):
        for received in client.received:
            if received["type"] == kind and received.get("correlation_id") == correlation_id:
                return received
    while True:
        received = await client.next()
        if received.get("correlation_id") == correlation_id:
            return received


@sync_to_async
def statuses(user) -> dict[str, str]:
    return dict(Order.objects.filter(account=user.account).values_list("client_order_id", "status"))


async def test_place_order_is_answered_with_the_order_and_a_retry_with_the_original(authed, buyer):
    client = await subscribed_orders(authed, buyer)
    place = {"type": "place_order", **BID, "client_order_id": "ws-1", "time_in_force": "gtc"}
    accepted = await answer(client, place, "p1")
    assert (accepted["type"], accepted["request"], accepted["created"]) == ("order_accepted", "place_order", True), accepted
    order = accepted["order"]
    assert (order["client_order_id"], order["status"], order["price"], order["post_only"]) == ("ws-1", "open", D("150"), False)
    created = await client.wait_for("order_created")
    assert (created["order_id"], created["client_order_id"], created["time_in_force"]) == (order["order_id"], "ws-1", "gtc")

    again = await answer(client, place, "p2")
    assert (again["type"], again["created"], again["order"]) == ("order_accepted", False, order)
    changed = await answer(client, {**place, "side": "sell"}, "p3")
    assert (changed["type"], changed["code"], changed["details"]["differing_fields"]) == ("order_rejected", "CLIENT_ORDER_ID_IN_USE", ["side"])
    assert await statuses(buyer) == {"ws-1": "open"}


@pytest.mark.parametrize(
    "change, code, field",
    [
        ({"client_order_id": "x" * 65}, "VALIDATION_ERROR", "client_order_id"),
        ({"client_order_id": "no spaces"}, "VALIDATION_ERROR", "client_order_id"),
        ({"time_in_force": "day"}, "VALIDATION_ERROR", "time_in_force"),
        ({"quantity": -1}, "VALIDATION_ERROR", "quantity"),
        ({"symbol": "NOPE/USDC"}, "VALIDATION_ERROR", "symbol"),
        ({"quantity": 100000, "price": 100}, "INSUFFICIENT_FUNDS", None),
    ],
)
async def test_a_refused_order_is_order_rejected_and_places_nothing(authed, buyer, change, code, field):
    client = await authed(buyer)
    rejected = await answer(client, {"type": "place_order", **BID, **change}, "r")
    assert (rejected["type"], rejected["request"], rejected["code"]) == ("order_rejected", "place_order", code), rejected
    assert field is None or field in rejected["details"]["errors"]
    assert await statuses(buyer) == {}


async def test_post_only_that_would_cross_is_rejected(authed, buyer, seller):
    await sync_to_async(place)(seller, "sell", "10", "150")
    client = await authed(buyer)
    rejected = await answer(client, {"type": "place_order", **BID, "post_only": True}, "po")
    assert (rejected["type"], rejected["code"]) == ("order_rejected", "POST_ONLY_WOULD_CROSS")
    assert rejected["details"] == {"price": D("150"), "best_opposite_price": D("150")}
    assert await statuses(buyer) == {}


async def test_cancel_order_by_either_id_and_refusals(authed, buyer, seller):
    others = await sync_to_async(place)(seller, "sell", "10", "900")
    client = await subscribed_orders(authed, buyer)
    first = (await answer(client, {"type": "place_order", **BID, "client_order_id": "a"}, "1"))["order"]
    await answer(client, {"type": "place_order", **BID, "price": 149, "client_order_id": "b"}, "2")

    by_id = await answer(client, {"type": "cancel_order", "order_id": first["order_id"]}, "c1")
    assert (by_id["type"], by_id["request"], by_id["order"]["status"]) == ("order_accepted", "cancel_order", "cancelled")
    by_client_id = await answer(client, {"type": "cancel_order", "client_order_id": "b"}, "c2")
    assert by_client_id["order"]["client_order_id"] == "b" and by_client_id["order"]["status"] == "cancelled"
    cancelled = await client.wait_for("order_cancelled", client_order_id="b")
    assert cancelled["reason"] == "user_requested"

    not_open = await answer(client, {"type": "cancel_order", "client_order_id": "b"}, "c3")
    assert (not_open["type"], not_open["code"]) == ("order_rejected", "ORDER_NOT_OPEN")
    foreign = await answer(client, {"type": "cancel_order", "order_id": others.id}, "c4")
    assert (foreign["type"], foreign["code"], foreign["details"]) == ("order_rejected", "ORDER_NOT_FOUND", {"order_id": others.id})
    for malformed in ({}, {"order_id": first["order_id"], "client_order_id": "a"}, {"order_id": 7}):
        error = await answer(client, {"type": "cancel_order", **malformed}, "bad")
        assert (error["type"], error["code"]) == ("error", "INVALID_REQUEST"), error
    assert (await sync_to_async(Order.objects.get)(pk=others.id)).status == "open"


async def test_cancel_all_answers_the_cancelled_ids(authed, buyer):
    client = await authed(buyer)
    ids = [(await answer(client, {"type": "place_order", **BID, "price": price}, f"p{price}"))["order"]["order_id"] for price in (1, 2)]
    googl = (await answer(client, {"type": "place_order", **BID, "symbol": "GOOGL/USDC"}, "g"))["order"]["order_id"]
    one_market = await answer(client, {"type": "cancel_all", "symbol": "AAPL/USDC"}, "ca1")
    assert (one_market["type"], sorted(one_market["cancelled"]), one_market["count"]) == ("order_accepted", sorted(ids), 2)
    everything = await answer(client, {"type": "cancel_all"}, "ca2")
    assert (everything["cancelled"], everything["count"]) == ([googl], 1)
    unknown = await answer(client, {"type": "cancel_all", "symbol": "NOPE/USDC"}, "ca3")
    assert (unknown["type"], unknown["code"]) == ("order_rejected", "VALIDATION_ERROR")
    reasons = await sync_to_async(published)("orders", buyer.account.id, "order_cancelled")
    assert [event["reason"] for event in reasons] == ["cancel_all"] * 3


async def test_cancel_all_after_sets_and_clears_the_switch_and_refuses_bad_timeouts(authed, buyer):
    client = await authed(buyer)
    armed = await answer(client, {"type": "cancel_all_after", "timeout_s": 30}, "s1")
    assert (armed["type"], armed["request"]) == ("order_accepted", "cancel_all_after")
    assert armed["current_time"] < armed["trigger_time"]
    for timeout_s in (-1, 86401, "30", True):
        refused = await answer(client, {"type": "cancel_all_after", "timeout_s": timeout_s}, "bad")
        assert (refused["type"], refused["code"]) == ("order_rejected", "VALIDATION_ERROR"), (timeout_s, refused)
    trigger = await sync_to_async(lambda: CancelAllAfter.objects.get().trigger_at)()
    assert armed["trigger_time"] == trigger.isoformat().replace("+00:00", "Z")
    off = await answer(client, {"type": "cancel_all_after", "timeout_s": 0}, "s2")
    assert off["trigger_time"] is None
    assert not await sync_to_async(CancelAllAfter.objects.exists)()


async def test_cancel_on_disconnect_cancels_the_accounts_orders_when_the_socket_closes(authed, buyer):
    bot = await authed(buyer)
    await answer(bot, {"type": "place_order", **BID, "client_order_id": "gone"}, "p")
    for not_boolean in ("true", 1, None):
        error = await answer(bot, {"type": "set_cancel_on_disconnect", "enabled": not_boolean}, "bad")
        assert (error["type"], error["code"], error["details"]["field"]) == ("error", "INVALID_REQUEST", "enabled")
    reply = await answer(bot, {"type": "set_cancel_on_disconnect", "enabled": True}, "cod")
    assert (reply["type"], reply["request"], reply["cancel_on_disconnect"]) == ("order_accepted", "set_cancel_on_disconnect", True)
    watcher = await subscribed_orders(authed, buyer)

    await bot.close()

    cancelled = await watcher.wait_for("order_cancelled")
    assert (cancelled["client_order_id"], cancelled["reason"]) == ("gone", "cancel_on_disconnect")
    assert await statuses(buyer) == {"gone": "cancelled"}


async def test_cancel_on_disconnect_turned_off_leaves_the_orders(authed, buyer):
    bot = await authed(buyer)
    await answer(bot, {"type": "place_order", **BID, "client_order_id": "stays"}, "p")
    await answer(bot, {"type": "set_cancel_on_disconnect", "enabled": True}, "on")
    off = await answer(bot, {"type": "set_cancel_on_disconnect", "enabled": False}, "off")
    assert off["cancel_on_disconnect"] is False
    await bot.close()
    assert await statuses(buyer) == {"stays": "open"}


async def test_order_entry_needs_a_trader_and_the_trade_scope(authed, ws, officer, buyer):
    client = await authed(officer)
    for message in ({"type": "place_order", **BID}, {"type": "cancel_all"}, {"type": "set_cancel_on_disconnect", "enabled": True}):
        error = await answer(client, message, "x")
        assert (error["type"], error["code"], error["details"]) == ("error", "INSUFFICIENT_PERMISSIONS", {"reason": "no_account"})
    _, key = await sync_to_async(api_key_create)(user=buyer, scopes=["read"])
    reader = await ws()
    assert (await reader.request({"type": "auth", "api_key": key}))["status"] == "authenticated"
    error = await answer(reader, {"type": "place_order", **BID}, "k")
    assert (error["code"], error["details"]) == ("INSUFFICIENT_PERMISSIONS", {"reason": "insufficient_scope"})
    assert await statuses(buyer) == {}


async def test_socket_orders_count_toward_the_rest_write_rate(authed, buyer, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "write": "2/min"}}
    http = client_for(buyer)
    assert (await sync_to_async(http.post)("/v1/orders", {**BID, "price": 1}, format="json")).status_code == 201
    client = await authed(buyer)
    assert (await answer(client, {"type": "place_order", **BID, "price": 2}, "1"))["type"] == "order_accepted"
    limited = await answer(client, {"type": "place_order", **BID, "price": 3}, "2")
    assert (limited["type"], limited["code"], limited["details"]["scope"]) == ("error", "RATE_LIMITED", "write")
    assert limited["details"]["retry_after_ms"] > 0
    assert (await sync_to_async(http.post)("/v1/orders", {**BID, "price": 4}, format="json")).status_code == 429
    assert await sync_to_async(Order.objects.filter(account=buyer.account).count)() == 2
