"""The surveillance rules: each looks at what an account just did and raises an alert through the services.

They run in the background after the trading change commits (compliance.surveillance works off the checks
compliance.signals queued), read the rules' current settings from the database, and rely on
compliance.services.alert_raise for deduplication (one open alert per rule, account and window).
"""

import threading
import time
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from kernel.numbers import decimal_text
from trading.models import SELF_TRADE_PREVENTED, Deposit, Order, OrderStatus, Trade, Withdrawal
from trading.money import notional
from trading.selectors import mark_prices

from .formatting import duration_text as _duration
from .formatting import number_text
from .models import AlertType, RuleKind, SurveillanceRule
from .services import alert_raise


def _rules(kind: str) -> list[SurveillanceRule]:
    return list(SurveillanceRule.objects.filter(kind=kind, enabled=True))


def large_threshold() -> Decimal:
    """The large-transaction threshold in force: the enabled large-transaction rule's, else the setting's."""
    rule = SurveillanceRule.objects.filter(kind=RuleKind.LARGE_TRANSACTION, enabled=True).order_by("code").first()
    return rule.large_threshold() if rule else settings.CDX_LARGE_TRANSACTION_THRESHOLD


def _usdc_value(amount: Decimal, currency: str, marks: dict[str, Decimal]) -> Decimal:
    """A transfer's value in the valuation currency (USDC) at mark prices; unpriced assets count as 0."""
    return notional(amount, marks.get(currency, Decimal("0")))


# Velocity


def orders_velocity_check(*, account_id: str) -> None:
    now = timezone.now()
    for rule in _rules(RuleKind.VELOCITY):
        window = timedelta(seconds=rule.window_seconds)
        count = Order.objects.filter(account_id=account_id, created_at__gte=now - window).count()
        facts = {"orders_in_window": count, "window_seconds": rule.window_seconds, "threshold": decimal_text(rule.required_threshold())}
        if count >= rule.required_threshold():
            reason = f"at or above the limit of {decimal_text(rule.required_threshold())}"
        else:
            usual = _usual_orders_per_window(rule, account_id=account_id, count=count, now=now)
            if usual is None:
                continue
            facts["usual_orders_per_window"] = decimal_text(usual)
            reason = f"unusual for this account, which averages {usual:.1f}"
        alert_raise(
            rule=rule,
            account_id=account_id,
            alert_type=AlertType.UNUSUAL_TRADING_PATTERN,
            description=f"Trader executed {count} orders in {_duration(rule.window_seconds)} ({reason})",
            facts=facts,
        )


def _usual_orders_per_window(rule: SurveillanceRule, *, account_id: str, count: int, now) -> Decimal | None:
    """The account's usual orders per window when `count` is far above it (None: not unusual).

    Only judged with enough history (baseline_min_orders in the baseline period) and for at least
    baseline_min_orders orders in the window, so a new account's first burst is left to the plain threshold.
    """
    params = {name: Decimal(str(value)) for name, value in (rule.parameters or {}).items()}
    minimum = int(params.get("baseline_min_orders", 0))
    multiplier = params.get("baseline_multiplier", Decimal("0"))
    days = int(params.get("baseline_days", 0))
    if not (minimum and multiplier and days) or count < minimum:
        return None
    history = _history_orders(account_id=account_id, days=days, window_seconds=rule.window_seconds, now=now)
    if history < minimum:
        return None
    windows = Decimal(days * 86400 - rule.window_seconds) / rule.window_seconds
    usual = Decimal(history) / windows
    return usual if count >= multiplier * usual else None


# The account's orders over the baseline period (days) before the window: a count over days of history,
# so it is taken once per account and window length and kept for one window; the baseline moves by at
# most a window's orders in that time. With it a busy account's velocity check costs one count of the
# window's orders, not a scan of its history.
_history_lock = threading.Lock()
_history: dict[tuple[str, int, int], tuple[float, int]] = {}  # (account, days, window) -> (expires, count)
HISTORY_ENTRIES_MAX = 10_000


def _history_orders(*, account_id: str, days: int, window_seconds: int, now) -> int:
    key = (account_id, days, window_seconds)
    cached = _history.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    count = Order.objects.filter(
        account_id=account_id,
        created_at__gte=now - timedelta(days=days),
        created_at__lt=now - timedelta(seconds=window_seconds),
    ).count()
    with _history_lock:
        if len(_history) >= HISTORY_ENTRIES_MAX:
            _history.clear()
        _history[key] = (time.monotonic() + window_seconds, count)
    return count


# Large transactions and structuring


def transfer_surveil(*, transaction_type: str, transaction_id: str, account_id: str, currency: str, amount: Decimal) -> None:
    """A deposit or withdrawal: large on its own, or one of several just under the threshold."""
    marks = mark_prices()
    value = _usdc_value(amount, currency, marks)
    facts = {"transaction_id": transaction_id, "currency": currency, "amount": decimal_text(amount)}
    _large_check(transaction_type=transaction_type, account_id=account_id, value=value, facts=facts)
    _structuring_check(account_id=account_id, marks=marks)


def trade_check(*, trade_id: str) -> None:
    """A trade: large for each side, and a wash trade when both sides have one owner."""
    trade = Trade.objects.select_related("market", "buyer", "seller").filter(pk=trade_id).first()
    if trade is None:
        return
    value = _usdc_value(trade.gross_amount, trade.market.quote, mark_prices())
    facts = {
        "transaction_id": trade.id,
        "symbol": trade.market_id,
        "quantity": decimal_text(trade.quantity),
        "price": decimal_text(trade.price),
        "gross_amount": decimal_text(trade.gross_amount),
    }
    for account_id in dict.fromkeys([trade.buyer_id, trade.seller_id]):
        _large_check(transaction_type="trade", account_id=account_id, value=value, facts=facts)
    owner = trade.buyer.beneficial_owner
    if trade.buyer_id == trade.seller_id or (owner and owner == trade.seller.beneficial_owner):
        _wash_check(trade=trade)


def _large_check(*, transaction_type: str, account_id: str, value: Decimal, facts: dict) -> None:
    for rule in _rules(RuleKind.LARGE_TRANSACTION):
        threshold = rule.large_threshold()
        if value < threshold:
            continue
        alert_raise(
            rule=rule,
            account_id=account_id,
            alert_type=AlertType.LARGE_TRANSACTION,
            # Not on the wire (large_transaction_alert carries the numbers): written for the officer.
            description=f"{transaction_type.capitalize()} worth {number_text(value)} USDC, at or above {number_text(threshold)}",
            facts={**facts, "transaction_type": transaction_type, "usdc_value": decimal_text(value), "threshold": decimal_text(threshold)},
            transaction_type=transaction_type,
            amount=value,
            threshold=threshold,
        )


def _structuring_check(*, account_id: str, marks: dict[str, Decimal]) -> None:
    ceiling = large_threshold()
    now = timezone.now()
    for rule in _rules(RuleKind.STRUCTURING):
        floor = ceiling * Decimal(str((rule.parameters or {}).get("band", "0.9")))
        since = now - timedelta(seconds=rule.window_seconds)
        near = [
            (kind, transfer_id, _usdc_value(amount, currency, marks))
            for kind, rows in (
                ("deposit", Deposit.objects.filter(account_id=account_id, created_at__gte=since)),
                ("withdrawal", Withdrawal.objects.filter(account_id=account_id, created_at__gte=since)),
            )
            for transfer_id, currency, amount in rows.values_list("id", "currency", "amount")
        ]
        near = [(kind, transfer_id, value) for kind, transfer_id, value in near if floor <= value < ceiling]
        if len(near) < rule.required_threshold():
            continue
        alert_raise(
            rule=rule,
            account_id=account_id,
            alert_type=AlertType.STRUCTURING,
            description=(
                f"{len(near)} deposits or withdrawals between {decimal_text(floor)} and {decimal_text(ceiling)} USDC "
                f"in {_duration(rule.window_seconds)}, just under the large-transaction threshold"
            ),
            facts={
                "transfers": [{"type": kind, "id": transfer_id, "usdc_value": decimal_text(value)} for kind, transfer_id, value in near],
                "floor": decimal_text(floor),
                "threshold": decimal_text(ceiling),
                "window_seconds": rule.window_seconds,
            },
        )


# Wash trading


def _wash_check(*, trade: Trade) -> None:
    for rule in _rules(RuleKind.WASH_TRADING):
        since = timezone.now() - timedelta(seconds=rule.window_seconds)
        one_owner = Q(buyer=F("seller")) | (
            Q(buyer__beneficial_owner=F("seller__beneficial_owner")) & ~Q(buyer__beneficial_owner="")
        )
        for account_id in dict.fromkeys([trade.buyer_id, trade.seller_id]):
            trades = Trade.objects.filter(one_owner, Q(buyer_id=account_id) | Q(seller_id=account_id), executed_at__gte=since)
            count = trades.count()
            if count < rule.required_threshold():
                continue
            alert_raise(
                rule=rule,
                account_id=account_id,
                alert_type=AlertType.WASH_TRADING,
                description=(
                    f"{count} trade(s) in {_duration(rule.window_seconds)} between accounts of one owner "
                    f"({trade.buyer_id} bought from {trade.seller_id})"
                ),
                facts={
                    "trade_id": trade.id,
                    "buyer": trade.buyer_id,
                    "seller": trade.seller_id,
                    "beneficial_owner": trade.buyer.beneficial_owner,
                    "trades_in_window": count,
                    "window_seconds": rule.window_seconds,
                },
            )


def self_trade_attempts_check(*, account_id: str) -> None:
    for rule in _rules(RuleKind.SELF_TRADE_ATTEMPTS):
        since = timezone.now() - timedelta(seconds=rule.window_seconds)
        attempts = list(
            Order.objects.filter(
                account_id=account_id,
                status=OrderStatus.CANCELLED,
                status_reason=SELF_TRADE_PREVENTED,
                updated_at__gte=since,
            ).values_list("id", flat=True)
        )
        if len(attempts) < rule.required_threshold():
            continue
        alert_raise(
            rule=rule,
            account_id=account_id,
            alert_type=AlertType.WASH_TRADING,
            description=(
                f"{len(attempts)} orders in {_duration(rule.window_seconds)} would have traded with the "
                "account's own orders (self-trade prevented)"
            ),
            facts={"order_ids": attempts[:50], "attempts": len(attempts), "window_seconds": rule.window_seconds},
        )


def cancelled_by_self_trade_prevention(order: Order) -> bool:
    return order.status == OrderStatus.CANCELLED and order.status_reason == SELF_TRADE_PREVENTED



# Spoofing and layering: orders the account itself cancelled (self-trade prevention's cancels are counted above)


def _cancelled_by_account(account_id: str, since):
    return Order.objects.filter(account_id=account_id, status=OrderStatus.CANCELLED, updated_at__gte=since).exclude(
        status_reason=SELF_TRADE_PREVENTED
    )


def order_cancelled_check(*, account_id: str, market_id: str, side: str) -> None:
    _spoofing_check(account_id=account_id)
    _layering_check(account_id=account_id, market_id=market_id, side=side)


def _spoofing_check(*, account_id: str) -> None:
    """Many orders placed and cancelled in the window: at least `threshold` cancellations of orders placed in the
    window, and those at least `cancel_ratio` (default 0.9) of all orders the account placed in it."""
    for rule in _rules(RuleKind.SPOOFING):
        since = timezone.now() - timedelta(seconds=rule.window_seconds)
        cancelled = _cancelled_by_account(account_id, since).filter(created_at__gte=since).count()
        if cancelled < rule.required_threshold():
            continue
        placed = Order.objects.filter(account_id=account_id, created_at__gte=since).count()
        ratio = Decimal(str((rule.parameters or {}).get("cancel_ratio", "0.9")))
        if cancelled < ratio * placed:
            continue
        alert_raise(
            rule=rule,
            account_id=account_id,
            alert_type=AlertType.SPOOFING,
            description=(
                f"Trader cancelled {cancelled} of {placed} orders placed in {_duration(rule.window_seconds)} "
                f"(at or above {decimal_text(rule.required_threshold())} cancellations)"
            ),
            facts={
                "cancelled": cancelled,
                "placed": placed,
                "cancel_ratio": decimal_text(ratio),
                "threshold": decimal_text(rule.required_threshold()),
                "window_seconds": rule.window_seconds,
            },
        )


def _layering_check(*, account_id: str, market_id: str, side: str) -> None:
    """Orders resting on one side at `threshold` or more distinct price levels, all cancelled within the window
    after the account traded on the other side of that market while they rested (the simplification: levels
    are the distinct limit prices of those orders, not necessarily adjacent ticks)."""
    for rule in _rules(RuleKind.LAYERING):
        since = timezone.now() - timedelta(seconds=rule.window_seconds)
        other_side = Q(buyer_id=account_id) if side == "sell" else Q(seller_id=account_id)
        trades = Trade.objects.filter(other_side, market_id=market_id, executed_at__gte=since).order_by("-executed_at")
        for trade in trades:
            layers = _cancelled_by_account(account_id, since).filter(
                market_id=market_id, side=side, created_at__lte=trade.executed_at, updated_at__gte=trade.executed_at
            )
            levels = sorted(set(layers.values_list("price", flat=True)))
            if len(levels) < rule.required_threshold():
                continue
            alert_raise(
                rule=rule,
                account_id=account_id,
                alert_type=AlertType.LAYERING,
                description=(
                    f"Trader cancelled {side} orders at {len(levels)} price levels of {market_id} in "
                    f"{_duration(rule.window_seconds)} after trading on the other side ({trade.id})"
                ),
                facts={
                    "trade_id": trade.id,
                    "symbol": market_id,
                    "side": side,
                    "levels": [decimal_text(level) for level in levels],
                    "order_ids": list(layers.values_list("id", flat=True)[:50]),
                    "threshold": decimal_text(rule.required_threshold()),
                    "window_seconds": rule.window_seconds,
                },
            )
            break


def cancelled_by_account(order: Order) -> bool:
    return order.status == OrderStatus.CANCELLED and order.status_reason != SELF_TRADE_PREVENTED
