"""What one trading service call changes, applied at its end in one fixed lock order.

A service records balance movements and events on a ChangeSet and calls `apply()` once, inside its
transaction. Balance rows are locked sorted by (account, currency) and stream cursors sorted by
stream, so two calls touching the same accounts or streams in another order cannot deadlock, and an
error anywhere (insufficient funds included) rolls back every row and every event together.
Each account whose balances moved gets one balance_updated (and a margin review).
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from accounts.models import Account
from kernel.errors import ServiceError
from kernel.json import plain
from streams.events import Event
from streams.publishing import publish_all

from .events import BalanceUpdated, MarginCall
from .models import Balance, MarginState
from .selectors import account_valuations, mark_prices

ZERO = Decimal("0")


@dataclass
class _Delta:
    available: Decimal = ZERO
    reserved: Decimal = ZERO
    may_borrow: bool = False


class InsufficientFunds(ServiceError):
    def __init__(self, currency: str, required: Decimal, available: Decimal):
        super().__init__(
            "INSUFFICIENT_FUNDS",
            f"Insufficient funds: this needs {plain(required)} {currency} and {plain(available)} {currency} is available.",
            details={"currency": currency, "required": plain(required), "available": plain(available)},
        )


class ChangeSet:
    def __init__(self) -> None:
        self._deltas: dict[tuple[str, str], _Delta] = defaultdict(_Delta)
        self._events: list[tuple[str, str, Event]] = []

    # Balance movements. Amounts are positive; each moves money between available and reserved,
    # or in or out of the account.
    def hold(self, account_id: str, currency: str, amount: Decimal, *, may_borrow: bool = False) -> None:
        delta = self._deltas[(account_id, currency)]
        delta.available -= amount
        delta.reserved += amount
        delta.may_borrow = delta.may_borrow or may_borrow

    def release(self, account_id: str, currency: str, amount: Decimal) -> None:
        self.hold(account_id, currency, -amount)

    def credit(self, account_id: str, currency: str, amount: Decimal) -> None:
        self._deltas[(account_id, currency)].available += amount

    def spend_held(self, account_id: str, currency: str, amount: Decimal) -> None:
        self._deltas[(account_id, currency)].reserved -= amount

    def emit(self, event: Event, *, key: str) -> None:
        self._events.append((event.channel, key, event))

    def apply(self) -> None:
        moved_accounts = sorted({account_id for (account_id, _), d in self._deltas.items() if d.available or d.reserved})
        for (account_id, currency), delta in sorted(self._deltas.items()):
            if delta.available or delta.reserved:
                _apply_delta(account_id, currency, delta)
        if moved_accounts:
            valuations = account_valuations(account_ids=moved_accounts, marks=mark_prices())
            for account_id in moved_accounts:
                valuation = valuations[account_id]
                self.emit(
                    BalanceUpdated(
                        account_id=account_id,
                        total_balance=valuation.total,
                        available_balance=valuation.available,
                        reserved_balance=valuation.reserved,
                    ),
                    key=account_id,
                )
                if valuation.margin_level is not None or valuation.in_margin_call:  # else nothing to review
                    margin_review(account_id=account_id, level=valuation.margin_level, changes=self)
        # A stable sort: each stream keeps the order its events were recorded in.
        publish_all(events=[(event, key) for _, key, event in sorted(self._events, key=lambda item: (item[0], item[1]))])
        self._deltas.clear()
        self._events.clear()


def _apply_delta(account_id: str, currency: str, delta: _Delta) -> None:
    balance = _locked_balance(account_id, currency)
    available_before = balance.available
    balance.available += delta.available
    balance.reserved += delta.reserved
    if balance.available < 0:
        headroom = _credit_headroom(balance) if delta.may_borrow else ZERO
        if -balance.available > headroom:
            raise InsufficientFunds(currency, -delta.available, available_before + headroom)
        balance.borrowed += -balance.available
        balance.available = ZERO
    if balance.borrowed and balance.available > 0:  # free funds repay the credit line first
        repaid = min(balance.borrowed, balance.available)
        balance.borrowed -= repaid
        balance.available -= repaid
    if balance.reserved < 0:
        raise AssertionError(f"reserved {currency} of {account_id} would be negative: {balance.reserved}")
    balance.save(update_fields=["available", "reserved", "borrowed"])


def _locked_balance(account_id: str, currency: str) -> Balance:
    # of=("self",) and no ordering: lock the balance row only, never the account row a join would bring.
    rows = Balance.objects.select_for_update(of=("self",)).order_by()
    balance = rows.filter(account_id=account_id, currency=currency).first()
    if balance is None:
        Balance.objects.get_or_create(account_id=account_id, currency=currency)
        balance = rows.get(account_id=account_id, currency=currency)
    return balance


def _credit_headroom(balance: Balance) -> Decimal:
    if balance.currency != settings.CDX_VALUATION_CURRENCY:
        return ZERO
    credit_line = Account.objects.values_list("credit_line", flat=True).get(pk=balance.account_id)
    return max(ZERO, credit_line - balance.borrowed)


def margin_review(*, account_id: str, level: Decimal | None, changes: ChangeSet) -> None:
    """Announce a margin_call when the level falls below the warning level; once per fall."""
    warning = settings.CDX_MARGIN_WARNING_LEVEL
    below = level is not None and level < warning
    state = MarginState.objects.select_for_update().filter(account_id=account_id).first()
    if state is None:
        if not below:
            return
        state = MarginState(account_id=account_id)
    if below and not state.in_margin_call:
        changes.emit(
            MarginCall.of(account_id, level, warning, settings.CDX_MARGIN_LIQUIDATION_LEVEL), key=account_id
        )
    state.in_margin_call, state.margin_level = below, level
    state.save()
