"""Selectors of an account's history: its fills, settlements, deposits and withdrawals.

Each list is a filtered, unordered queryset (the fills: two, see fill_list) that the REST view pages newest first
(kernel.pagination); everything a row shows comes in the same statement (annotations, joins), so a page is one query.
"""

from django.db.models import Case, CharField, F, Q, QuerySet, Value, When

from kernel.errors import ServiceError
from kernel.pagination import DisjointUnion

from .models import Deposit, Settlement, Side, Trade, Withdrawal


def fill_list(*, account_id: str, symbol: str | None = None, order_id: str | None = None) -> DisjointUnion:
    """The trades the account took part in, each seen from its side: annotated with `side`, `order_id` (its
    own order), `liquidity` (`maker` or `taker`), `fee_currency` and `settlement_status`.

    Two parts, bought and sold, each read newest first from its own index (Trade's `fills_bought`, `fills_sold`):
    a filter `buyer OR seller` would make every page collect and sort all of the account's fills."""
    buying = Q(buyer_id=account_id)
    fills = Trade.objects.filter(market_id=symbol) if symbol else Trade.objects.all()
    took = Q(buyer_id=account_id, taker_side=Side.BUY) | Q(seller_id=account_id, taker_side=Side.SELL)
    # The same annotations on every part: a fill reads the same whichever part lists it.
    annotated = fills.annotate(
        side=Case(When(buying, then=Value(Side.BUY.value)), default=Value(Side.SELL.value), output_field=CharField()),
        order_id=Case(When(buying, then=F("buy_order_id")), default=F("sell_order_id"), output_field=CharField()),
        liquidity=Case(When(took, then=Value("taker")), default=Value("maker"), output_field=CharField()),
        fee_currency=F("market__quote"),
        settlement_status=F("settlement__status"),
    )
    bought = annotated.filter(buying)
    # A self-trade (the account on both sides) is listed once, as its buy, as under one `buyer OR seller` filter:
    # the sold part leaves it out, which also keeps the parts disjoint.
    sold = annotated.filter(seller_id=account_id).exclude(buying)
    if not order_id:
        return DisjointUnion(parts=(bought, sold))
    # Each part filtered by its own order column, which the planner can use; one OR of both would read every fill of
    # the account on the side the order is not. A self-trade filtered by its sell order still shows, as its buy.
    bought_by_sell_order = bought.filter(seller_id=account_id, sell_order_id=order_id)  # no trade has one order on both sides
    return DisjointUnion(parts=(bought.filter(buy_order_id=order_id), sold.filter(sell_order_id=order_id), bought_by_sell_order))


def settlement_list(*, account_id: str, symbol: str | None = None, status: str | None = None) -> QuerySet[Settlement]:
    """The settlements of the account's trades, with their trade."""
    settlements = Settlement.objects.filter(Q(trade__buyer_id=account_id) | Q(trade__seller_id=account_id))
    if symbol:
        settlements = settlements.filter(trade__market_id=symbol)
    if status:
        settlements = settlements.filter(status=status)
    return settlements.select_related("trade")


def deposit_list(*, account_id: str, currency: str | None = None) -> QuerySet[Deposit]:
    deposits = Deposit.objects.filter(account_id=account_id)
    return deposits.filter(currency=currency) if currency else deposits


def withdrawal_list(*, account_id: str, currency: str | None = None, status: str | None = None) -> QuerySet[Withdrawal]:
    withdrawals = Withdrawal.objects.filter(account_id=account_id)
    if currency:
        withdrawals = withdrawals.filter(currency=currency)
    if status:
        withdrawals = withdrawals.filter(status=status)
    return withdrawals


def withdrawal_get(*, account_id: str, withdrawal_id: str) -> Withdrawal:
    """One of the account's withdrawals; 404 WITHDRAWAL_NOT_FOUND for an unknown one and another account's alike."""
    withdrawal = Withdrawal.objects.filter(pk=withdrawal_id, account_id=account_id).first()
    if withdrawal is None:
        raise ServiceError("WITHDRAWAL_NOT_FOUND", "No such withdrawal.", details={"withdrawal_id": withdrawal_id}, status_code=404)
    return withdrawal
