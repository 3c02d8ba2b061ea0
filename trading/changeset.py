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
from django.db.models import Exists, OuterRef

from accounts.models import Account
from kernel.errors import ServiceError
from kernel.json import plain
from kernel.numbers import decimal_text
from kernel.sql import PreparedQuery, instance_update
from streams.events import Event
from streams.publishing import publish_all

from .events import BalanceUpdated, MarginCall
from .models import Balance, MarginState
from .selectors import mark_prices, valuations_of

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
            f"Insufficient funds: this needs {decimal_text(required)} {currency} and {decimal_text(available)} {currency} is available.",
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

    def apply(self, *, marks: dict[str, Decimal] | None = None) -> None:
        """Write the balance movements and publish the events; `marks`: mark prices the caller already
        has (selectors.mark_prices), else they are read when a balance moved."""
        deltas = {key: delta for key, delta in sorted(self._deltas.items()) if delta.available or delta.reserved}
        moved_accounts = sorted({account_id for account_id, _ in deltas})
        if moved_accounts:
            balances = _balances_locked(moved_accounts)
            for (account_id, currency), delta in deltas.items():
                if (account_id, currency) not in balances:
                    balances[(account_id, currency)] = _balance_created(account_id, currency)
                _apply_delta(balances[(account_id, currency)], delta)
            valuations = valuations_of(
                balances=balances.values(), account_ids=moved_accounts, marks=mark_prices() if marks is None else marks
            )
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


def _apply_delta(balance: Balance, delta: _Delta) -> None:
    account_id, currency = balance.account_id, balance.currency
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
    instance_update(balance, ("available", "reserved", "borrowed"))  # no signals listen on Balance


def _balances_locked(account_ids: list[str]) -> dict[tuple[str, str], Balance]:
    """Every balance row of these accounts, locked in (account, currency) order in one statement (the
    valuation needs them all), each marked with whether its account is in a margin call."""
    rows = _BALANCES_LOCKED.instances(Balance, _BALANCE_FIELDS, ("margin_call",), account_ids=account_ids)
    return {(balance.account_id, balance.currency): balance for balance in rows}


# Compiled once (kernel.sql: the annotation costs more CPU to build than the database takes to run it).
# of=("self",): lock the balance rows only, never the account row a join would bring.
_BALANCE_FIELDS = [field.attname for field in Balance._meta.concrete_fields]
_BALANCES_LOCKED = PreparedQuery(
    lambda account_ids: Balance.objects.select_for_update(of=("self",))
    .filter(account_id__in=account_ids)
    .annotate(margin_call=Exists(MarginState.objects.filter(account_id=OuterRef("account_id"), in_margin_call=True)))
    .order_by("account_id", "currency")
    .values_list(*_BALANCE_FIELDS, "margin_call")
)


def _balance_created(account_id: str, currency: str) -> Balance:
    Balance.objects.get_or_create(account_id=account_id, currency=currency)
    return Balance.objects.select_for_update(of=("self",)).order_by().get(account_id=account_id, currency=currency)


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
        assert level is not None  # below a level means there is one
        changes.emit(
            MarginCall.of(account_id, level, warning, settings.CDX_MARGIN_LIQUIDATION_LEVEL), key=account_id
        )
    state.in_margin_call, state.margin_level = below, level
    state.save()
