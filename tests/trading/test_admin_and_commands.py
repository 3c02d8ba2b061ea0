from decimal import Decimal as D

import pytest
from django.test import Client

from tests.support.event_log import published
from tests.trading.conftest import balance
from tests.two_factor import force_login_verified
from trading.models import Deposit
from trading.services import order_place


@pytest.fixture
def admin_client(administrator):
    client = Client()
    force_login_verified(client, administrator)
    return client


@pytest.mark.parametrize("model", ["market", "order", "trade", "settlement", "balance", "deposit", "withdrawal"])
def test_every_trading_model_has_a_read_only_admin_page(admin_client, markets, model):
    assert admin_client.get(f"/admin/trading/{model}/").status_code == 200
    if model != "deposit":
        assert admin_client.get(f"/admin/trading/{model}/add/").status_code == 403


def test_admin_cancels_orders_through_the_service(admin_client, buyer):
    order = order_place(
        account_id=buyer.account.id, symbol="AAPL/USDC", side="buy", order_type="limit", quantity=D("1"), price=D("100")
    )
    response = admin_client.post(
        "/admin/trading/order/", {"action": "cancel_orders", "_selected_action": [order.id]}, follow=True
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == "cancelled" and order.status_reason == "admin_requested"
    assert balance(buyer, "USDC") == (D("1000000"), D("0"))
    assert published("orders", buyer.account.id, "order_cancelled")[0]["reason"] == "admin_requested"


def test_admin_deposit_form_credits_through_the_service(admin_client, trader, markets):
    form = {"account": trader.account.id, "currency": "USDC", "amount": "2500.5", "transaction_hash": "0xfeed"}
    response = admin_client.post("/admin/trading/deposit/add/", form)
    assert response.status_code == 302, response.content[:2000]
    deposit = Deposit.objects.get()
    assert deposit.id.startswith("dep_") and balance(trader, "USDC") == (D("2500.5"), D("0"))
    assert published("account_notifications", trader.account.id, "deposit_received")[0]["deposit_id"] == deposit.id
    refused = admin_client.post("/admin/trading/deposit/add/", {**form, "currency": "DOGE"})
    assert refused.status_code == 200 and b"Unknown currency" in refused.content
    assert Deposit.objects.count() == 1
