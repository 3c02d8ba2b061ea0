"""The order path's SQL budget: at most 12 statements for an order that rests, 20 for one that fills once.

Counted as the order benchmark counts them (bench/orders/statements.py): CaptureQueriesContext around
trading.services.order_enter (what REST and the socket call: order_place, plus one lookup with a
client_order_id), after one uncounted pair, on a market with an empty book. The test's own transaction
makes the service's BEGIN/COMMIT a SAVEPOINT/RELEASE pair, which is left out like them.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

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
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    return order, statements


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
