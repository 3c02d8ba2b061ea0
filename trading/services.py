"""Trading services: the one place balances, orders, trades, settlements, deposits and withdrawals
change, and so the one place their events come from (through ChangeSet, inside the transaction)."""

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.selectors import account_exists
from kernel import jobs
from kernel.errors import ServiceError
from kernel.numbers import decimal_text
from kernel.sql import PreparedQuery
from operations.gates import ensure_service_open
from operations.metrics import matching_latency_timer

from . import matching
from .changeset import ChangeSet, margin_review
from .events import DepositReceived, SettlementConfirmed, SettlementFailed, TradeCancelled, WithdrawalProcessed
from .ledger import DvpInstruction, LedgerRejected, LedgerUnavailable, TransferInstruction, ledger
from .metrics import ORDER_PLACE_SECONDS
from .models import (
    CLIENT_ORDER_ID_PATTERN,
    RESTING_STATUSES,
    Balance,
    CancelAllAfter,
    Deposit,
    MarginState,
    Market,
    Order,
    OrderType,
    Settlement,
    SettlementStatus,
    Side,
    TimeInForce,
    TradeStatus,
    Withdrawal,
    WithdrawalStatus,
)
from .money import QUANTUM, is_multiple, notional
from .selectors import account_valuation, known_currencies, mark_prices, market_prices, order_by_client_id
from .withdrawal_checks import withdrawal_checks_run

log = logging.getLogger(__name__)

MAX_AMOUNT = Decimal("1e12")  # quantities, prices and transfers: below 10^12 each
MAX_NOTIONAL = Decimal("1e18")  # quantity x price stays well inside the 22 integer digits stored
MAX_CANCEL_ALL_AFTER_S = 86400  # the dead-man's switch reaches at most a day ahead (as Kraken's)
# What a retry with a used client_order_id must repeat to be answered with the original order.
_RETRY_FIELDS = ("symbol", "side", "order_type", "quantity", "price", "time_in_force", "post_only")


# Orders


@dataclass(frozen=True)
class OrderEntry:
    order: Order
    created: bool  # False: a retry with a known client_order_id, answered with the original order


def order_enter(*, account_id: str, client_order_id: str = "", **fields) -> OrderEntry:
    """Order entry for clients (REST, WebSocket): order_place, made idempotent by client_order_id.

    A client_order_id the account used already answers that order and places nothing, when the retry
    asks for the same order; a different order under a used id is refused (409 CLIENT_ORDER_ID_IN_USE)."""
    # order_by_client_id answers None for no client_order_id without reading anything.
    existing = order_by_client_id(account_id=account_id, client_order_id=client_order_id)
    if existing is not None:
        return OrderEntry(_retry_checked(existing, fields), created=False)
    try:
        return OrderEntry(order_place(account_id=account_id, client_order_id=client_order_id, **fields), created=True)
    except IntegrityError:
        # A concurrent request with the same id committed first: answer as a retry of it.
        existing = order_by_client_id(account_id=account_id, client_order_id=client_order_id)
        if existing is None:
            raise
        return OrderEntry(_retry_checked(existing, fields), created=False)


def _retry_checked(order: Order, fields: dict) -> Order:
    placed = {"symbol": order.market_id, **{name: getattr(order, name) for name in _RETRY_FIELDS if name != "symbol"}}
    asked = {"time_in_force": TimeInForce.GTC, "post_only": False, "price": None, **fields}
    asked["time_in_force"] = _recorded_time_in_force(order.order_type, asked["time_in_force"])
    differing = sorted(name for name in _RETRY_FIELDS if asked.get(name) != placed[name])
    if differing:
        raise ServiceError(
            "CLIENT_ORDER_ID_IN_USE",
            f"client_order_id {order.client_order_id!r} names another order ({order.id}); nothing was placed.",
            details={"client_order_id": order.client_order_id, "order_id": order.id, "differing_fields": differing},
            status_code=409,
        )
    return order


@ORDER_PLACE_SECONDS.time()  # outside the transaction: the commit counts
@transaction.atomic
def order_place(
    *,
    account_id: str,
    symbol: str,
    side: str,
    order_type: str,
    quantity: Decimal,
    price: Decimal | None = None,
    client_order_id: str = "",
    time_in_force: str = TimeInForce.GTC,
    post_only: bool = False,
) -> Order:
    """Validate, hold the funds, match against the book (price-time priority) and rest or end."""
    ensure_service_open(service="matching_engine")
    # Read before the market's lock, so the orders of this market wait one statement less for each other;
    # this market's own price is taken after matching.
    prices = market_prices()
    market = _market_locked(symbol)
    order = Order(
        account_id=account_id,
        market=market,
        side=side,
        order_type=order_type,
        quantity=quantity,
        price=price,
        client_order_id=client_order_id,
        time_in_force=time_in_force,
        post_only=post_only,
    )
    _order_checked(order)
    changes = ChangeSet()
    with matching_latency_timer():
        depth = matching.submit(order=order, changes=changes)
    changes.apply(marks=mark_prices(prices=prices, known={market.symbol: matching.mark_price(market, depth)}))
    transaction.on_commit(jobs.wake)  # settle the new trades now rather than at the next tick
    return order


@transaction.atomic
def order_cancel(
    *, order_id: str | None = None, client_order_id: str | None = None, account_id: str | None = None, reason: str = "user_requested"
) -> Order:
    """Cancel a resting order, named by its order_id or by the owner's client_order_id; `account_id` restricts it
    to the owner (None: staff cancelling any order). ORDER_NOT_FOUND (404) for someone else's order too."""
    if client_order_id is None:
        wanted, named = {"pk": order_id}, {"order_id": order_id}
    else:
        # An empty client_order_id is an order without one: it names nothing (IS NULL never matches).
        wanted = {"account_id": account_id, "client_order_id": client_order_id or None}
        named = {"client_order_id": client_order_id}
    found = Order.objects.filter(**wanted).values("id", "market_id", "account_id").first()
    if found is None or (account_id is not None and found["account_id"] != account_id):
        raise ServiceError("ORDER_NOT_FOUND", "No such order.", details=named, status_code=404)
    market = Market.objects.select_for_update(no_key=True).get(pk=found["market_id"])
    order = Order.objects.get(pk=found["id"])
    order.market = market
    if order.status not in RESTING_STATUSES:
        raise ServiceError(
            "ORDER_NOT_OPEN",
            f"The order is {order.status} and can no longer be cancelled.",
            details={"order_id": order.id, "status": order.status},
            status_code=409,
        )
    changes = ChangeSet()
    matching.cancel(order=order, reason=reason, changes=changes)
    matching.announce_book(market=market, touched={(order.side, order.limit_price)}, changes=changes)
    changes.apply()
    return order


@transaction.atomic
def order_cancel_all(*, account_id: str, symbol: str | None = None, reason: str = "cancel_all") -> list[str]:
    """Cancel every resting order of the account (of one market with `symbol`); returns their ids.

    The markets are locked in symbol order, as order_place locks one, so this never deadlocks with it."""
    resting = Order.objects.filter(account_id=account_id, status__in=RESTING_STATUSES)
    locking = Market.objects.select_for_update(no_key=True).order_by("symbol")
    if symbol is not None:
        resting = resting.filter(market_id=symbol)
        locking = locking.filter(symbol=symbol)  # locked even without orders of the account: it must exist
    else:
        locking = locking.filter(symbol__in=resting.values("market_id"))  # the markets it has orders in
    markets = {market.symbol: market for market in locking}
    if symbol is not None and not markets:
        raise ValidationError({"symbol": f"Unknown market {symbol!r}."})
    changes = ChangeSet()
    touched: dict[str, set[tuple[str, Decimal]]] = {name: set() for name in markets}
    cancelled = []
    for order in resting.filter(market_id__in=list(markets)).order_by("market_id", "book_sequence"):  # read again under the locks
        order.market = markets[order.market_id]
        matching.cancel(order=order, reason=reason, changes=changes)
        touched[order.market_id].add((order.side, order.limit_price))
        cancelled.append(order.id)
    for name, market in markets.items():
        matching.announce_book(market=market, touched=touched[name], changes=changes)
    changes.apply()
    return cancelled


@dataclass(frozen=True)
class CancelAllAfterState:
    current_time: datetime
    trigger_time: datetime | None  # None: the switch is off


@transaction.atomic
def cancel_all_after_set(*, account_id: str, timeout_s: int) -> CancelAllAfterState:
    """The dead-man's switch: cancel every open order of the account unless called again within
    `timeout_s` seconds (0 turns it off). Kept in the database, so any server process may be called."""
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int) or not 0 <= timeout_s <= MAX_CANCEL_ALL_AFTER_S:
        raise ValidationError({"timeout_s": f"Must be a whole number of seconds from 0 (off) to {MAX_CANCEL_ALL_AFTER_S}."})
    now = timezone.now()
    if timeout_s == 0:
        CancelAllAfter.objects.filter(account_id=account_id).delete()
        return CancelAllAfterState(current_time=now, trigger_time=None)
    trigger_at = now + timedelta(seconds=timeout_s)
    CancelAllAfter.objects.update_or_create(account_id=account_id, defaults={"trigger_at": trigger_at})
    return CancelAllAfterState(current_time=now, trigger_time=trigger_at)


def cancel_all_after_run() -> int:
    """The dead-man's switch job: cancel everything of the accounts whose switch ran out, then turn their
    switch off; returns how many accounts it fired for."""
    due = CancelAllAfter.objects.filter(trigger_at__lte=timezone.now()).values_list("account_id", flat=True)
    return sum(_cancel_all_after_fire(account_id=account_id) for account_id in list(due))


@transaction.atomic
def _cancel_all_after_fire(*, account_id: str) -> bool:
    # Locked and read again: the owner may have pushed the deadline back since it was listed.
    switch = CancelAllAfter.objects.select_for_update().filter(account_id=account_id, trigger_at__lte=timezone.now()).first()
    if switch is None:
        return False
    order_cancel_all(account_id=account_id, reason="cancel_all_after")
    switch.delete()
    return True


def _market_locked(symbol: str) -> Market:
    """The market's row, locked until the transaction ends: one order of a market is matched at a time."""
    markets = _MARKET_LOCKED.instances(Market, _MARKET_FIELDS, symbol=symbol)
    if not markets:
        raise ValidationError({"symbol": f"Unknown or inactive market {symbol!r}."})
    return markets[0]


# Read on every order: compiled once (kernel.sql).
_MARKET_FIELDS = [field.attname for field in Market._meta.concrete_fields]
_MARKET_LOCKED = PreparedQuery(
    lambda symbol: Market.objects.select_for_update(no_key=True).filter(symbol=symbol, active=True).values_list(*_MARKET_FIELDS)
)


def _order_checked(order: Order) -> None:
    """Refuse (ValidationError, every field at once) an order its market cannot take; else record its time in
    force as it acts and give it its place in the market's book (the market's lock is held)."""
    market, order_type, quantity, price = order.market, order.order_type, order.quantity, order.price
    errors = {}
    if not isinstance(order.client_order_id, str) or (
        order.client_order_id and not re.fullmatch(CLIENT_ORDER_ID_PATTERN, order.client_order_id)
    ):
        errors["client_order_id"] = "1 to 64 characters of A-Z, a-z, 0-9, _ and -."
    if order.time_in_force not in TimeInForce.values:
        errors["time_in_force"] = f"Must be one of {', '.join(TimeInForce.values)}."
    else:
        order.time_in_force = _recorded_time_in_force(order_type, order.time_in_force)
    if not isinstance(order.post_only, bool):
        errors["post_only"] = "Must be true or false."
    elif order.post_only and (order_type != OrderType.LIMIT or order.time_in_force != TimeInForce.GTC):
        errors["post_only"] = "Only gtc limit orders can be post-only."
    if order.side not in Side.values:
        errors["side"] = f"Must be one of {', '.join(Side.values)}."
    if order_type not in OrderType.values:
        errors["order_type"] = f"Must be one of {', '.join(OrderType.values)}."
    quantity_error = _amount_error(quantity) or (
        None if is_multiple(quantity, market.lot_size) else f"Must be a multiple of the lot size {decimal_text(market.lot_size)}."
    )
    if quantity_error:
        errors["quantity"] = quantity_error
    if order_type == OrderType.MARKET and price is not None:
        errors["price"] = "Market orders take no price."
    elif order_type == OrderType.LIMIT:
        if price is None:
            price_error: str | None = "Required for limit orders."
        else:
            price_error = _amount_error(price)
            if not price_error and not is_multiple(price, market.tick_size):
                price_error = f"Must be a multiple of the tick size {decimal_text(market.tick_size)}."
            if not price_error and not quantity_error and notional(quantity, price) >= MAX_NOTIONAL:
                price_error = f"quantity x price must be below {decimal_text(MAX_NOTIONAL)}."
        if price_error:
            errors["price"] = price_error
    if errors:
        raise ValidationError(errors)
    market.order_sequence += 1
    order.book_sequence = market.order_sequence
    order.created_at = order.updated_at = timezone.now()


def _recorded_time_in_force(order_type: str, time_in_force: str) -> str:
    """A market order never rests: a gtc one is recorded as what it does, ioc."""
    return TimeInForce.IOC if order_type == OrderType.MARKET and time_in_force == TimeInForce.GTC else time_in_force


def _amount_error(value) -> str | None:
    if not isinstance(value, Decimal) or not value.is_finite():
        return "Must be a decimal number."
    if value <= 0:
        return "Must be greater than zero."
    if value >= MAX_AMOUNT:
        return f"Must be below {decimal_text(MAX_AMOUNT)}."
    if value != value.quantize(QUANTUM):
        return "At most 8 decimal places."
    return None


# Deposits and withdrawals


@transaction.atomic
def deposit_create(*, account_id: str, currency: str, amount: Decimal, transaction_hash: str) -> str:
    """Credit an incoming transfer (staff, admin, seeding); returns the deposit id."""
    transfer_validate(account_id=account_id, currency=currency, amount=amount)
    if not isinstance(transaction_hash, str) or not transaction_hash.strip():
        raise ValidationError({"transaction_hash": "Required."})
    deposit = Deposit.objects.create(
        account_id=account_id, currency=currency, amount=amount, transaction_hash=transaction_hash, created_at=timezone.now()
    )
    changes = ChangeSet()
    changes.credit(account_id, currency, amount)
    changes.emit(DepositReceived.of(deposit), key=account_id)
    changes.apply()
    return deposit.id


@transaction.atomic
def withdrawal_request(*, account_id: str, currency: str, amount: Decimal, address: str) -> Withdrawal:
    """Hold the funds now; the withdrawals job sends them through the ledger."""
    transfer_validate(account_id=account_id, currency=currency, amount=amount)
    if not isinstance(address, str) or not address.strip():
        raise ValidationError({"address": "Required."})
    withdrawal_checks_run(account_id=account_id, currency=currency, amount=amount)  # e.g. compliance: KYC tier limits
    withdrawal = Withdrawal.objects.create(
        account_id=account_id, currency=currency, amount=amount, address=address, created_at=timezone.now()
    )
    changes = ChangeSet()
    changes.hold(account_id, currency, amount)
    changes.apply()
    transaction.on_commit(jobs.wake)
    return withdrawal


def transfer_validate(*, account_id: str, currency: str, amount: Decimal) -> None:
    """The checks every deposit and withdrawal passes (admin forms run them before saving)."""
    errors = {}
    if currency not in known_currencies():
        errors["currency"] = f"Unknown currency {currency!r}."
    amount_error = _amount_error(amount)
    if amount_error:
        errors["amount"] = amount_error
    if errors:
        raise ValidationError(errors)
    if not account_exists(account_id=account_id):
        raise ServiceError("ACCOUNT_NOT_FOUND", "No such account.", details={"account_id": account_id}, status_code=404)


def withdrawals_process_pending(*, limit: int = 100) -> int:
    """The withdrawals job: send every pending withdrawal; returns how many were finished."""
    pending = Withdrawal.objects.filter(status=WithdrawalStatus.PENDING).order_by("created_at")
    return sum(withdrawal_process(withdrawal_id=wid) for wid in pending.values_list("id", flat=True)[:limit])


@transaction.atomic
def withdrawal_process(*, withdrawal_id: str) -> bool:
    withdrawal = Withdrawal.objects.select_for_update().filter(pk=withdrawal_id, status=WithdrawalStatus.PENDING).first()
    if withdrawal is None:
        return False
    instruction = TransferInstruction(
        withdrawal_id=withdrawal.id,
        account_id=withdrawal.account_id,
        currency=withdrawal.currency,
        amount=withdrawal.amount,
        address=withdrawal.address,
    )
    changes = ChangeSet()
    try:
        withdrawal.transaction_hash = ledger().transfer_out(instruction)
    except LedgerUnavailable as exc:
        log.warning("withdrawal %s waits: ledger unavailable (%s)", withdrawal.id, exc)
        return False
    except LedgerRejected as rejected:
        withdrawal.status, withdrawal.failure_reason = WithdrawalStatus.FAILED, rejected.message
        changes.release(withdrawal.account_id, withdrawal.currency, withdrawal.amount)
    else:
        withdrawal.status = WithdrawalStatus.PROCESSED
        changes.spend_held(withdrawal.account_id, withdrawal.currency, withdrawal.amount)
        changes.emit(WithdrawalProcessed.of(withdrawal), key=withdrawal.account_id)
    withdrawal.processed_at = timezone.now()
    withdrawal.save()
    changes.apply()
    return True


# Settlement


def settlements_process_pending(*, limit: int = 200) -> int:
    """The settlement job: settle every pending settlement, oldest first; returns how many finished."""
    pending = Settlement.objects.filter(status=SettlementStatus.PENDING).order_by("created_at")
    return sum(settlement_settle(settlement_id=sid) for sid in pending.values_list("id", flat=True)[:limit])


@transaction.atomic
def settlement_settle(*, settlement_id: str) -> bool:
    """Delivery versus payment through the ledger; on refusal the trade is cancelled and funds restored."""
    settlement = (
        Settlement.objects.select_for_update(of=("self",))
        .select_related("trade__market")
        .filter(pk=settlement_id, status=SettlementStatus.PENDING)
        .first()
    )
    if settlement is None:
        return False
    trade, market = settlement.trade, settlement.trade.market
    settlement.attempts += 1
    instruction = DvpInstruction(
        settlement_id=settlement.id,
        trade_id=trade.id,
        symbol=market.symbol,
        buyer_account_id=trade.buyer_id,
        seller_account_id=trade.seller_id,
        base_currency=market.base,
        quote_currency=market.quote,
        quantity=trade.quantity,
        payment=trade.gross_amount,
    )
    parties = list(dict.fromkeys((trade.buyer_id, trade.seller_id)))
    buyer_pays = trade.gross_amount + trade.commission
    changes = ChangeSet()
    try:
        settlement.dvp_transaction_id = ledger().settle_dvp(instruction)
    except LedgerUnavailable as exc:
        log.warning("settlement %s waits: ledger unavailable (%s)", settlement.id, exc)
        settlement.save(update_fields=["attempts"])
        return False
    except LedgerRejected as rejected:
        settlement.status = SettlementStatus.FAILED
        settlement.failure_reason, settlement.error_message = rejected.reason, rejected.message[:300]
        trade.status = TradeStatus.CANCELLED
        changes.release(trade.buyer_id, market.quote, buyer_pays)
        changes.release(trade.seller_id, market.base, trade.quantity)
        failed = SettlementFailed(
            settlement_id=settlement.id, reason=settlement.failure_reason, error_message=settlement.error_message
        )
        for account_id in parties:
            changes.emit(failed, key=account_id)
            changes.emit(TradeCancelled(trade_id=trade.id, reason="settlement_failed"), key=account_id)
    else:
        settlement.status = SettlementStatus.CONFIRMED
        trade.status = TradeStatus.SETTLED
        changes.spend_held(trade.buyer_id, market.quote, buyer_pays)
        changes.credit(trade.buyer_id, market.base, trade.quantity)
        changes.spend_held(trade.seller_id, market.base, trade.quantity)
        changes.credit(trade.seller_id, market.quote, trade.gross_amount - trade.commission)
        for account_id in parties:
            changes.emit(
                SettlementConfirmed(settlement_id=settlement.id, dvp_transaction_id=settlement.dvp_transaction_id),
                key=account_id,
            )
    settlement.settled_at = timezone.now()
    settlement.save()
    trade.save(update_fields=["status"])
    changes.apply()
    return True


# Margin


def margins_review() -> None:
    """The margin job: prices move without balances moving, so look again at every borrowing account."""
    borrowing = set(Balance.objects.filter(borrowed__gt=0).values_list("account_id", flat=True))
    borrowing |= set(MarginState.objects.filter(in_margin_call=True).values_list("account_id", flat=True))
    if not borrowing:
        return
    marks = mark_prices()  # one price read for the whole run, not one per account
    for account_id in sorted(borrowing):
        with transaction.atomic():
            changes = ChangeSet()
            level = account_valuation(account_id=account_id, marks=marks).margin_level
            margin_review(account_id=account_id, level=level, changes=changes)
            changes.apply()
