from decimal import Decimal

import pytest

from tests.support.kyc import kyc_set
from trading.services import deposit_create


def approve(user) -> None:
    """KYC approved at tier_3: no trading or withdrawal cap gets in the way of a trading test."""
    kyc_set(user, status="approved", tier="tier_3")


def fund(user, **amounts: str) -> None:
    for currency, amount in amounts.items():
        deposit_create(
            account_id=user.account.id, currency=currency, amount=Decimal(amount), transaction_hash=f"0xtest{currency}"
        )


def balance(user, currency: str) -> tuple[Decimal, Decimal]:
    """(available, reserved) of one currency."""
    row = user.account.balances.filter(currency=currency).first()
    return (row.available, row.reserved) if row else (Decimal("0"), Decimal("0"))


@pytest.fixture
def seller(make_user, markets):
    user = make_user(username="seller")
    approve(user)
    fund(user, AAPL="1000", GOOGL="1000", USDC="100000")
    return user


@pytest.fixture
def buyer(make_user, markets):
    user = make_user(username="buyer")
    approve(user)
    fund(user, USDC="1000000")
    return user
