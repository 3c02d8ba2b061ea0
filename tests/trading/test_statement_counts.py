"""The order path's SQL budget: at most 12 statements for an order that rests, 20 for one that fills once.

Counted as the order benchmark counts them (bench/orders/statements.py): CaptureQueriesContext around
trading.services.order_enter (what REST and the socket call: order_place, plus one lookup with a
client_order_id), after one uncounted pair, on a market with an empty book. The test's own transaction
makes the service's BEGIN/COMMIT a SAVEPOINT/RELEASE pair, which is left out like them.
The whole POST /v1/orders adds one statement: the JWT's user with its roles and its trading account.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from operations import gates
from tests.conftest import token_for
from trading.services import order_enter, order_place

pytestmark = pytest.mark.django_db

RESTING_BUDGET = 12
FILLING_BUDGET = 20


def place(user, side: str):
    return order_place(
        account_id=user.account.id, symbol="AAPL/USDC", side=side, order_type="limit", quantity=Decimal("1"), price=Decimal("100")
    )


def counted(user, side: str, client_order_id: str = ""):
    with CaptureQueriesContext(connection) as captured:
        order = order_enter(
            account_id=user.account.id, client_order_id=client_order_id, symbol="AAPL/USDC", side=side, order_type="limit",
            quantity=Decimal("1"), price=Decimal("100"),
        ).order
    return order, _statements(captured)


@pytest.fixture(autouse=True)
def gate_remembered(monkeypatch):
    """Under a steady order flow the maintenance gate is read at most once a second (operations.gates), so not
    by the counted orders: a loaded machine that takes over a second to get to them must not make them read it."""
    monkeypatch.setattr(gates, "OPEN_CACHE_S", 3600.0)
    yield
    gates.gates_forget()  # what this test remembered for an hour is not the next test's to know


def _statements(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_an_order_that_rests_and_one_that_fills_once_stay_within_the_budget(seller, buyer):
    place(seller, "sell")
    place(buyer, "buy")  # the uncounted pair: trades, so the market has a last price as it would in use

    rested, resting = counted(seller, "sell")
    filled, filling = counted(buyer, "buy")

    assert rested.status == "open" and filled.status == "filled"
    assert len(resting) <= RESTING_BUDGET, "\n".join(resting)
    assert len(filling) <= FILLING_BUDGET, "\n".join(filling)


def test_a_client_order_id_costs_its_one_lookup_and_nothing_more(seller, buyer):
    place(seller, "sell")
    place(buyer, "buy")

    _, without_id = counted(seller, "sell")
    _, with_id = counted(seller, "sell", client_order_id="bot-1")
    _, retried = counted(seller, "sell", client_order_id="bot-1")

    assert len(with_id) == len(without_id) + 1, "\n".join(with_id)
    assert len(retried) == 1  # the lookup answers a retry


def test_the_whole_request_adds_one_statement_for_the_user_its_roles_and_its_account(seller, buyer, client):
    place(seller, "sell")
    place(buyer, "buy")
    place(seller, "sell")  # for the request's buy to fill once
    place(seller, "sell")  # for the service call's buy to fill once
    body = {"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": 1, "price": 100}

    with CaptureQueriesContext(connection) as captured:
        response = client.post("/v1/orders", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token_for(buyer)}")

    assert response.status_code == 201 and response.json()["status"] == "filled"
    requested = _statements(captured)
    _, filling = counted(buyer, "buy")  # the same order through the service alone, for the difference
    extra = len(requested) - len(filling)
    assert extra == 1, "\n".join(requested)
    assert "auth_user" in requested[0] and "accounts_account" in requested[0] and "auth_group" in requested[0]
