"""Tokens and the caller's account over REST."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from accounts.roles import COMPLIANCE, GROUP_NAMES, TRADER
from kernel.json import loads
from tests.conftest import token_for

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-1"


def body(response):
    return loads(response.content)


def test_token_pair_for_good_credentials_and_401_otherwise(trader):
    client = APIClient()
    response = client.post("/v1/auth/token", {"username": trader.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200 and set(body(response)) == {"access", "refresh"}
    refreshed = client.post("/v1/auth/token/refresh", {"refresh": body(response)["refresh"]}, format="json")
    assert refreshed.status_code == 200 and "access" in body(refreshed)

    assert client.post("/v1/auth/token", {"username": trader.username, "password": "wrong"}, format="json").status_code == 401
    assert client.post("/v1/auth/token", {"username": "nobody", "password": PASSWORD}, format="json").status_code == 401
    assert client.post("/v1/auth/token/refresh", {"refresh": "garbage"}, format="json").status_code == 401
    assert client.post("/v1/auth/token", {"username": 5}, format="json").status_code == 400


def test_a_disabled_user_gets_no_token(trader):
    trader.is_active = False
    trader.save()
    response = APIClient().post("/v1/auth/token", {"username": trader.username, "password": PASSWORD}, format="json")
    assert response.status_code == 401


def test_accounts_me_for_a_trader(trader):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + token_for(trader))
    response = client.get("/v1/accounts/me")
    assert response.status_code == 200
    data = body(response)
    assert data["account_id"] == trader.account.id and data["account_id"].startswith("acc_")
    assert (data["kyc_status"], data["kyc_tier"]) == ("pending_review", "tier_0")
    assert data["balances"] == []


def test_accounts_me_shows_balances_as_exact_numbers(trader):
    from trading.services import deposit_create

    deposit_create(account_id=trader.account.id, currency="USDC", amount=Decimal("1000.10"), transaction_hash="0xabc")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + token_for(trader))
    [balance] = body(client.get("/v1/accounts/me"))["balances"]
    assert balance["currency"] == "USDC" and balance["total"] == Decimal("1000.1")
    assert balance["available"] == Decimal("1000.1") and balance["reserved"] == 0


def test_accounts_me_needs_a_trader(officer):
    client = APIClient()
    assert client.get("/v1/accounts/me").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert client.get("/v1/accounts/me").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer " + token_for(officer))
    assert client.get("/v1/accounts/me").status_code == 403


def test_a_trader_without_an_account_gets_404_no_account(make_user):
    user = make_user(COMPLIANCE)  # made without an account, then given the trader role (as in the admin)
    user.groups.add(Group.objects.get(name=GROUP_NAMES[TRADER]))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    for path in ("/v1/accounts/me", "/v1/orders"):
        response = client.get(path)
        assert response.status_code == 404 and body(response)["code"] == "NO_ACCOUNT", (path, response.content)
