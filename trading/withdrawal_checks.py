"""What a withdrawal must also pass before trading holds its funds, decided by the apps above trading.

Compliance registers its KYC tier limits from its AppConfig.ready(). Trading runs every registered
check inside the transaction that records the withdrawal; a check refuses by raising ServiceError.
"""

from decimal import Decimal
from typing import Protocol


class WithdrawalCheck(Protocol):
    def __call__(self, *, account_id: str, currency: str, amount: Decimal) -> None: ...


_checks: list[WithdrawalCheck] = []


def register(check: WithdrawalCheck) -> None:
    if check not in _checks:
        _checks.append(check)


def withdrawal_checks_run(*, account_id: str, currency: str, amount: Decimal) -> None:
    for check in _checks:
        check(account_id=account_id, currency=currency, amount=amount)
