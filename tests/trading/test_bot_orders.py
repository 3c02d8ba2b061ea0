"""Order entry for bots over REST: client_order_id (idempotent retries), time in force, post-only,
cancel-all and the dead-man's switch (cancel-all-after)."""

from datetime import timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kernel.errors import ServiceError
from tests.support.event_log import published
from tests.trading.conftest import balance
from tests.trading.test_api import client_for, get, post
from tests.trading.test_matching import place
from trading import services
from trading.models import CancelAllAfter, Order, Trade
from trading.services import cancel_all_after_run, cancel_all_after_set, order_place

AAPL = "AAPL/USDC"
BID = {"symbol": AAPL, "side": "buy", "order_type": "limit", "quantity": 10, "price": 150}
ORDER_FIELDS: dict[str, Any] = {"symbol": AAPL, "side": "buy", "order_type": "limit", "quantity": D("10"), "price": D("150")}


# client_order_id


def test_a_retry_with_the_same_client_order_id_answers_the_original_order_and_places_nothing(buyer):
    client = client_for(buyer)
    status, first = post(client, "/v1/orders", {**BID, "client_order_id": "bot-1_A"})
    assert status == 201, first
    assert (first["client_order_id"], first["time_in_force"], first["post_only"]) == ("bot-1_A", "gtc", False)
    status, again = post(client, "/v1/orders", {**BID, "client_order_id": "bot-1_A"})
    assert status == 200 and again == first
    assert Order.objects.filter(account=buyer.account).count() == 1
    assert balance(buyer, "USDC")[1] == D("1501.5")  # held once
    created = published("orders", buyer.account.id, "order_created")
    assert len(created) == 1
    assert (created[0]["client_order_id"], created[0]["time_in_force"], created[0]["post_only"]) == ("bot-1_A", "gtc", False)


def test_a_different_order_under_a_used_client_order_id_is_refused_and_places_nothing(buyer):
    client = client_for(buyer)
    _, first = post(client, "/v1/orders", {**BID, "client_order_id": "dup"})
    status, body = post(client, "/v1/orders", {**BID, "price": 151, "quantity": 11, "client_order_id": "dup"})
    assert status == 409 and body["code"] == "CLIENT_ORDER_ID_IN_USE", body
    assert body["details"] == {"client_order_id": "dup", "order_id": first["order_id"], "differing_fields": ["price", "quantity"]}
    assert Order.objects.filter(account=buyer.account).count() == 1


def test_a_concurrent_entry_with_the_same_client_order_id_that_committed_first_is_answered_as_a_retry(buyer, monkeypatch):
    """The lookup missed it (not committed yet), the insert hit the unique constraint: order_enter answers the
    order that won, or refuses a different order under its id, and places nothing either way."""
    account_id = buyer.account.id
    won = services.order_enter(account_id=account_id, client_order_id="race", **ORDER_FIELDS).order
    lookup = services.order_by_client_id
    missed: list[str] = []

    def missing_once(**kwargs):
        if not missed:
            missed.append(kwargs["client_order_id"])
            return None
        return lookup(**kwargs)

    monkeypatch.setattr(services, "order_by_client_id", missing_once)
    entry = services.order_enter(account_id=account_id, client_order_id="race", **ORDER_FIELDS)
    assert missed == ["race"] and (entry.order.id, entry.created) == (won.id, False)
    missed.clear()
    with pytest.raises(ServiceError) as refused:
        services.order_enter(account_id=account_id, client_order_id="race", **{**ORDER_FIELDS, "price": D("151")})
    assert missed == ["race"] and refused.value.code == "CLIENT_ORDER_ID_IN_USE"
    assert refused.value.details["differing_fields"] == ["price"]
    assert list(Order.objects.filter(account=buyer.account).values_list("id", flat=True)) == [won.id]
    assert balance(buyer, "USDC")[1] == D("1501.5")  # held once


def test_client_order_ids_are_per_account_and_absent_ones_are_null(buyer, seller):
    assert post(client_for(buyer), "/v1/orders", {**BID, "price": 1, "client_order_id": "same"})[0] == 201
    status, body = post(client_for(seller), "/v1/orders", {**BID, "side": "sell", "price": 900, "client_order_id": "same"})
    assert status == 201 and body["client_order_id"] == "same"
    status, plain_order = post(client_for(buyer), "/v1/orders", {**BID, "price": 2})
    assert status == 201 and plain_order["client_order_id"] is None


def test_a_request_that_lost_the_race_for_its_client_order_id_is_answered_as_a_retry(buyer, monkeypatch):
    first = order_place(account_id=buyer.account.id, client_order_id="race", **ORDER_FIELDS)
    lookups = iter([None])  # the lookup before placing misses, as when the other request had not committed yet
    real_lookup = services.order_by_client_id
    monkeypatch.setattr(services, "order_by_client_id", lambda **ids: next(lookups, None) or real_lookup(**ids))

    entry = services.order_enter(account_id=buyer.account.id, client_order_id="race", **ORDER_FIELDS)

    assert (entry.order.id, entry.created) == (first.id, False)
    assert Order.objects.filter(account=buyer.account).count() == 1


@pytest.mark.parametrize("client_order_id", ["x" * 65, "", "has space", "semi;colon", "é", "ok\n"])
def test_a_bad_client_order_id_is_a_validation_error_and_places_nothing(buyer, client_order_id):
    status, body = post(client_for(buyer), "/v1/orders", {**BID, "client_order_id": client_order_id})
    assert status == 400 and body["code"] == "VALIDATION_ERROR" and "client_order_id" in body["errors"], body
    assert not Order.objects.exists()


def test_the_longest_client_order_id_is_accepted(buyer):
    status, body = post(client_for(buyer), "/v1/orders", {**BID, "client_order_id": "A-z_9" * 12 + "abcd"})
    assert status == 201 and len(body["client_order_id"]) == 64


def test_an_order_is_read_and_cancelled_by_either_id_by_its_owner_only(buyer, seller):
    client = client_for(buyer)
    _, placed = post(client, "/v1/orders", {**BID, "client_order_id": "mine"})
    order_id = placed["order_id"]
    assert get(client, f"/v1/orders/{order_id}") == (200, placed)
    assert get(client, "/v1/orders/by-client-id/mine") == (200, placed)
    for path in (f"/v1/orders/{order_id}", "/v1/orders/by-client-id/mine"):
        response = client_for(seller).get(path)
        assert response.status_code == 404 and response.json()["code"] == "ORDER_NOT_FOUND"
        assert client_for(seller).delete(path).status_code == 404
    assert client.get("/v1/orders/by-client-id/unknown").status_code == 404
    response = client.delete("/v1/orders/by-client-id/mine")
    assert response.status_code == 200 and response.json() == {"order_id": order_id, "status": "cancelled"}
    assert published("orders", buyer.account.id, "order_cancelled")[0]["client_order_id"] == "mine"


def test_a_cancel_by_client_order_id_reads_no_more_than_one_by_order_id_and_an_empty_one_names_nothing(buyer):
    account_id = buyer.account.id
    by_id, by_client_id = place(buyer, "buy", "10", "1"), place(buyer, "buy", "10", "2")
    Order.objects.filter(pk=by_client_id.pk).update(client_order_id="named")
    with CaptureQueriesContext(connection) as plain:
        services.order_cancel(account_id=account_id, order_id=by_id.id)
    with CaptureQueriesContext(connection) as named:
        assert services.order_cancel(account_id=account_id, client_order_id="named").id == by_client_id.id
    assert len(named) == len(plain), "\n".join(q["sql"] for q in named.captured_queries)
    unnamed = place(buyer, "buy", "10", "3")  # no client_order_id: "" must not find it
    for client_order_id in ("", "unknown"):
        with pytest.raises(ServiceError) as refused:
            services.order_cancel(account_id=account_id, client_order_id=client_order_id)
        assert (refused.value.code, refused.value.details) == ("ORDER_NOT_FOUND", {"client_order_id": client_order_id})
    assert Order.objects.get(pk=unnamed.id).status == "open"
    with pytest.raises(ServiceError) as not_open:
        services.order_cancel(account_id=account_id, client_order_id="named")
    assert (not_open.value.code, not_open.value.details) == ("ORDER_NOT_OPEN", {"order_id": by_client_id.id, "status": "cancelled"})


# Time in force and post-only


def test_ioc_fills_what_it_can_and_cancels_the_rest(buyer, seller):
    place(seller, "sell", "4", "150")
    status, body = post(client_for(buyer), "/v1/orders", {**BID, "time_in_force": "ioc", "client_order_id": "ioc-1"})
    assert status == 201
    assert (body["status"], body["status_reason"], body["filled"], body["time_in_force"]) == ("cancelled", "ioc_remainder", D("4"), "ioc")
    assert balance(buyer, "USDC")[1] == D("600.6")  # only the fill stays held, for settlement
    cancelled = published("orders", buyer.account.id, "order_cancelled")
    assert [(e["reason"], e["client_order_id"]) for e in cancelled] == [("ioc_remainder", "ioc-1")]


def test_ioc_with_nothing_to_trade_is_cancelled_and_holds_nothing(buyer):
    status, body = post(client_for(buyer), "/v1/orders", {**BID, "time_in_force": "ioc"})
    assert (status, body["status"], body["status_reason"]) == (201, "cancelled", "ioc_remainder")
    assert balance(buyer, "USDC") == (D("1000000"), D("0"))


def test_fok_that_cannot_fill_in_full_does_nothing(buyer, seller):
    ask = place(seller, "sell", "9", "150")
    status, body = post(client_for(buyer), "/v1/orders", {**BID, "time_in_force": "fok"})
    assert (status, body["status"], body["status_reason"], body["filled"]) == (201, "cancelled", "fok_unfillable", D("0"))
    assert not Trade.objects.exists()
    ask.refresh_from_db()
    assert ask.status == "open" and ask.filled == 0
    assert balance(buyer, "USDC") == (D("1000000"), D("0"))
    assert published("account_notifications", buyer.account.id, "balance_updated")[-1]["reserved_balance"] == 0
    assert [e["type"] for e in published("orders", buyer.account.id)] == ["order_created", "order_cancelled"]


def test_fok_that_can_fill_in_full_fills(buyer, seller):
    place(seller, "sell", "6", "150")
    place(seller, "sell", "4", "149")
    status, body = post(client_for(buyer), "/v1/orders", {**BID, "time_in_force": "fok"})
    assert (status, body["status"], body["filled"]) == (201, "filled", D("10"))


def test_post_only_that_would_cross_is_refused_and_places_nothing(buyer, seller):
    place(seller, "sell", "10", "150")
    status, body = post(client_for(buyer), "/v1/orders", {**BID, "post_only": True})
    assert status == 400 and body["code"] == "POST_ONLY_WOULD_CROSS", body
    assert body["details"] == {"price": D("150"), "best_opposite_price": D("150")}
    assert body["message"] == "A post-only buy at 150 would trade against the book at 150; nothing was placed."
    assert Order.objects.filter(account=buyer.account).count() == 0 and not Trade.objects.exists()
    assert balance(buyer, "USDC") == (D("1000000"), D("0"))
    status, body = post(client_for(buyer), "/v1/orders", {**BID, "price": "149.99", "post_only": True})
    assert (status, body["status"], body["post_only"]) == (201, "open", True)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"time_in_force": "gtd"}, "time_in_force"),
        ({"time_in_force": "GTC"}, "time_in_force"),
        ({"post_only": True, "time_in_force": "ioc"}, "post_only"),
        ({"post_only": True, "order_type": "market", "price": None}, "post_only"),
        ({"post_only": "perhaps"}, "post_only"),
    ],
)
def test_unknown_time_in_force_and_impossible_post_only_are_validation_errors(buyer, change, field):
    status, body = post(client_for(buyer), "/v1/orders", {**BID, **change})
    assert status == 400 and body["code"] == "VALIDATION_ERROR" and field in body["errors"], body
    assert not Order.objects.exists()


def test_a_market_order_is_immediate_or_cancel(buyer, seller):
    place(seller, "sell", "3", "150")
    status, body = post(client_for(buyer), "/v1/orders", {**BID, "order_type": "market", "price": None})
    assert (status, body["time_in_force"], body["status"], body["status_reason"], body["filled"]) == (
        201, "ioc", "cancelled", "no_liquidity", D("3")
    )


# Cancel all and the dead-man's switch


def test_cancel_all_cancels_every_open_order_or_one_markets(buyer):
    client = client_for(buyer)
    ids = [post(client, "/v1/orders", {**BID, "symbol": symbol, "price": price})[1]["order_id"] for symbol, price in
           ((AAPL, 1), (AAPL, 2), ("GOOGL/USDC", 3))]
    response = client.delete("/v1/orders?symbol=GOOGL/USDC")
    assert response.status_code == 200 and response.json() == {"cancelled": [ids[2]], "count": 1}
    response = client.delete("/v1/orders")
    assert response.json() == {"cancelled": ids[:2], "count": 2}
    assert client.delete("/v1/orders").json() == {"cancelled": [], "count": 0}
    reasons = [e["reason"] for e in published("orders", buyer.account.id, "order_cancelled")]
    assert reasons == ["cancel_all"] * 3
    assert balance(buyer, "USDC") == (D("1000000"), D("0"))
    bids = published("market_data", AAPL, "orderbook_update")[-1]["changes"]["bids"]
    assert [(level["price"], level["action"]) for level in bids] == [(D("2"), "delete"), (D("1"), "delete")]


def test_cancel_all_reads_the_accounts_orders_once_under_the_market_locks(buyer, seller):
    for user, side, price in ((buyer, "buy", "1"), (buyer, "buy", "2"), (seller, "sell", "900")):
        place(user, side, "10", price)
    with CaptureQueriesContext(connection) as nothing_to_cancel:
        assert services.order_cancel_all(account_id=buyer.account.id, symbol="GOOGL/USDC") == []
    statements = [q["sql"] for q in nothing_to_cancel.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
    assert len(statements) == 2, "\n".join(statements)  # the market locked, then its orders of the account
    with CaptureQueriesContext(connection) as everything:
        assert len(services.order_cancel_all(account_id=buyer.account.id)) == 2
    statements = [q["sql"] for q in everything.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
    first_write = next(i for i, sql in enumerate(statements) if not sql.upper().startswith("SELECT"))
    assert first_write == 2, "\n".join(statements)  # the markets locked, then the orders read: no read before
    assert Order.objects.filter(account=seller.account, status="open").count() == 1


def test_cancel_all_of_an_unknown_market_is_a_validation_error(buyer):
    response = client_for(buyer).delete("/v1/orders?symbol=NOPE/USDC")
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"


def test_the_switch_answers_its_trigger_time_and_zero_turns_it_off(buyer):
    client = client_for(buyer)
    status, body = post(client, "/v1/orders/cancel-all-after", {"timeout_s": 60})
    assert status == 200
    switch = CancelAllAfter.objects.get(account=buyer.account)
    assert body["trigger_time"] == switch.trigger_at.isoformat().replace("+00:00", "Z")
    assert body["current_time"] < body["trigger_time"]
    status, body = post(client, "/v1/orders/cancel-all-after", {"timeout_s": 0})
    assert (status, body["trigger_time"]) == (200, None) and not CancelAllAfter.objects.exists()


@pytest.mark.parametrize("timeout_s", [-1, 86401, 10**12, "soon", None, 1.5])
def test_a_negative_or_huge_switch_timeout_is_refused_and_changes_nothing(buyer, timeout_s):
    client = client_for(buyer)
    post(client, "/v1/orders/cancel-all-after", {"timeout_s": 30})
    before = CancelAllAfter.objects.get().trigger_at
    status, body = post(client, "/v1/orders/cancel-all-after", {"timeout_s": timeout_s})
    assert status == 400 and body["code"] == "VALIDATION_ERROR" and "timeout_s" in body["errors"], body
    assert CancelAllAfter.objects.get().trigger_at == before


def test_the_switch_job_cancels_everything_of_accounts_past_their_deadline_then_turns_the_switch_off(buyer, seller):
    late = [place(buyer, "buy", "10", price) for price in ("1", "2")]
    kept = place(seller, "sell", "10", "900")
    cancel_all_after_set(account_id=buyer.account.id, timeout_s=60)
    cancel_all_after_set(account_id=seller.account.id, timeout_s=60)
    CancelAllAfter.objects.filter(account=buyer.account).update(trigger_at=timezone.now() - timedelta(seconds=1))

    assert cancel_all_after_run() == 1

    assert [Order.objects.get(pk=order.id).status for order in late] == ["cancelled", "cancelled"]
    assert Order.objects.get(pk=kept.id).status == "open"
    events = published("orders", buyer.account.id, "order_cancelled")
    assert sorted(e["order_id"] for e in events) == sorted(o.id for o in late)
    assert {e["reason"] for e in events} == {"cancel_all_after"}
    assert list(CancelAllAfter.objects.values_list("account_id", flat=True)) == [seller.account.id]
    assert cancel_all_after_run() == 0


def test_the_switch_job_fires_for_nothing_when_the_row_vanished_or_was_pushed_back_after_it_was_listed(buyer):
    """cancel_all_after_run lists the due accounts first; by the time it fires for one, its owner may have
    turned the switch off (the row is gone) or pushed the deadline back: then nothing is cancelled."""
    order = place(buyer, "buy", "10", "1")
    account_id = buyer.account.id
    assert services._cancel_all_after_fire(account_id=account_id) is False  # no switch at all
    cancel_all_after_set(account_id=account_id, timeout_s=60)  # the deadline pushed back, still ahead
    assert services._cancel_all_after_fire(account_id=account_id) is False
    assert Order.objects.get(pk=order.id).status == "open"
    assert CancelAllAfter.objects.filter(account_id=account_id).exists()
    assert published("orders", account_id, "order_cancelled") == []
