from decimal import Decimal

import pytest

from compliance.limits import ensure_withdrawal_allowed
from compliance.models import KycTierLimit
from kernel.errors import ServiceError
from tests.support.kyc import kyc_set
from trading.models import Withdrawal, WithdrawalStatus
from trading.services import deposit_create, withdrawal_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(rules, markets, trader):
    deposit_create(account_id=trader.account.id, currency="USDC", amount=Decimal("500000"), transaction_hash="0x1")
    return trader


def kyc(user, status="approved", tier="tier_0"):
    kyc_set(user, status=status, tier=tier)


def withdraw(user, amount: str, currency="USDC"):
    return withdrawal_request(account_id=user.account.id, currency=currency, amount=Decimal(amount), address="0xabc")


def test_a_tier_caps_withdrawals_per_currency_over_24_hours(funded):
    withdraw(funded, "6000")
    withdraw(funded, "4000")  # exactly the tier_0 cap of 10000
    with pytest.raises(ServiceError) as error:
        withdraw(funded, "0.00000001")
    assert error.value.code == "WITHDRAWAL_LIMIT_EXCEEDED"
    assert "tier_0 allows withdrawing 10000 USDC per 24 hours; 0 USDC remain" in error.value.message
    assert error.value.details["remaining"] == 0
    assert Withdrawal.objects.filter(account=funded.account).count() == 2


def test_failed_withdrawals_do_not_count(funded):
    withdraw(funded, "10000")
    Withdrawal.objects.filter(account=funded.account).update(status=WithdrawalStatus.FAILED)
    withdraw(funded, "10000")


def test_higher_tiers_have_higher_caps_and_tier_3_none(funded):
    kyc(funded, tier="tier_1")
    with pytest.raises(ServiceError) as error:
        withdraw(funded, "100000.00000001")
    assert error.value.code == "WITHDRAWAL_LIMIT_EXCEEDED"
    kyc(funded, tier="tier_3")
    withdraw(funded, "400000")


def test_the_caps_are_data(funded):
    KycTierLimit.objects.filter(tier="tier_0").update(daily_withdrawal_limit=Decimal("5"))
    with pytest.raises(ServiceError) as error:
        withdraw(funded, "6")
    assert error.value.code == "WITHDRAWAL_LIMIT_EXCEEDED" and error.value.details["daily_limit"] == Decimal("5")
    KycTierLimit.objects.filter(tier="tier_0").delete()  # a missing row falls back to the default cap
    with pytest.raises(ServiceError) as error:
        ensure_withdrawal_allowed(account_id=funded.account.id, currency="USDC", amount=Decimal("10001"))
    assert error.value.code == "WITHDRAWAL_LIMIT_EXCEEDED" and error.value.details["daily_limit"] == Decimal("10000")


@pytest.mark.parametrize("status", ["rejected", "suspended", "expired"])
def test_blocked_kyc_states_cannot_withdraw_at_all(funded, status):
    kyc(funded, status=status, tier="tier_3")
    with pytest.raises(ServiceError) as error:
        withdraw(funded, "1")
    assert error.value.code == "KYC_WITHDRAWALS_BLOCKED" and error.value.status_code == 403


def test_the_rest_call_shows_the_reason(funded):
    from rest_framework.test import APIClient

    from tests.conftest import token_for

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(funded)}")
    response = client.post("/v1/withdrawals", {"currency": "USDC", "amount": 20000, "address": "0xabc"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "WITHDRAWAL_LIMIT_EXCEEDED"
