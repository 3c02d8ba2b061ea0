from decimal import Decimal

import pytest

from streams.models import StreamEvent
from kernel.json import loads as loads_event
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


def published(channel: str, key: str, event_type: str | None = None) -> list[dict]:
    """Events written to the event log of one stream, in sequence order."""
    from streams.registry import group_name

    rows = StreamEvent.objects.filter(stream=group_name(channel, key)).order_by("sequence")
    found = [loads_event(row.text) for row in rows]
    return [event for event in found if event_type is None or event["type"] == event_type]


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
