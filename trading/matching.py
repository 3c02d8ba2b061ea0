"""The matching engine: price-time priority within one market, run under that market's row lock.

`submit` takes a new, validated order and the market already locked (select_for_update on its row
in the caller's transaction), so one order of a market is matched at a time however many server
processes take orders. It plans the fills first, holds the funds the plan needs, then executes
them; the holds are checked when the caller applies the ChangeSet, and a refusal
(INSUFFICIENT_FUNDS) rolls the whole order back.

Time in force: a gtc limit order rests what it does not fill; an ioc order (market orders always) ends
there, its remainder cancelled (`ioc_remainder`; market orders `no_liquidity`); a fok order that the book
cannot fill in full at once ends before anything is held or traded (`fok_unfillable`). A post-only
order that would cross the book is refused (POST_ONLY_WOULD_CROSS), so it never takes liquidity.

Self-trade prevention: an incoming order never trades with a resting order of its own account;
that resting order is cancelled (reason `self_trade_prevented`) and matching goes on past it.

The book is read once per order (its depth per level, one statement), and the resting orders an order
trades with only when it crosses the best opposite price; the levels and best prices the order's
market data events announce are that depth with the order's own changes applied.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from kernel.errors import ServiceError
from kernel.numbers import decimal_text

from .changeset import ChangeSet
from .events import (
    OrderbookUpdate,
    OrderCancelled,
    OrderCreated,
    OrderFilled,
    OrderUpdated,
    PriceUpdate,
    SettlementCreated,
    TradeExecuted,
)
from .models import (
    SELF_TRADE_PREVENTED,
    Market,
    Order,
    OrderStatus,
    OrderType,
    Settlement,
    Side,
    TimeInForce,
    Trade,
)
from .money import commission, mid_price, notional
from .selectors import book_depth, resting_orders

ZERO = Decimal("0")
IOC_REMAINDER = "ioc_remainder"
FOK_UNFILLABLE = "fok_unfillable"


@dataclass
class Plan:
    fills: list[tuple[Order, Decimal]] = field(default_factory=list)  # (resting order, quantity)
    own_orders: list[Order] = field(default_factory=list)  # crossed resting orders of the same account

    def cost(self) -> Decimal:
        """What a buyer pays for these fills, commission included."""
        return sum((_cost(notional(quantity, maker.limit_price)) for maker, quantity in self.fills), ZERO)

    def quantity(self) -> Decimal:
        return sum((quantity for _, quantity in self.fills), ZERO)


def _cost(gross: Decimal) -> Decimal:
    return gross + commission(gross)


def held_currency(order: Order) -> str:
    return order.market.quote if order.side == Side.BUY else order.market.base


def submit(*, order: Order, changes: ChangeSet) -> dict[str, dict[Decimal, Decimal]]:
    """Match and rest or end the order; returns the market's book depth after it."""
    market = order.market
    depth = book_depth(symbol=market.symbol)
    if order.post_only:
        _refuse_if_crossing(order, depth)
    plan = _plan(order, depth)
    if order.time_in_force == TimeInForce.FOK and plan.quantity() < order.quantity:
        changes.emit(OrderCreated.of(order), key=order.account_id)
        _cancelled(order=order, reason=FOK_UNFILLABLE, changes=changes)  # nothing was held, nothing trades
        order.save(force_insert=True)
        market.save(update_fields=["order_sequence"])
        return depth
    order.reserved = _reservation(order, plan)
    changes.hold(order.account_id, held_currency(order), order.reserved, may_borrow=True)
    changes.emit(OrderCreated.of(order), key=order.account_id)
    touched: set[tuple[str, Decimal]] = set()
    for own in plan.own_orders:
        _depth_add(depth, own, -own.remaining)
        cancel(order=own, reason=SELF_TRADE_PREVENTED, changes=changes)
        touched.add((own.side, own.limit_price))
    for maker, quantity in plan.fills:
        _depth_add(depth, maker, -quantity)
        _execute(taker=order, maker=maker, quantity=quantity, changes=changes)
        touched.add((maker.side, maker.limit_price))
    if order.remaining:
        _rest_or_end(order, changes)
        if order.status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED):
            _depth_add(depth, order, order.remaining)
            touched.add((order.side, order.limit_price))
    # Written once, in its final state (its trades refer to it: foreign keys are checked at commit).
    order.save(force_insert=True)
    market.save(update_fields=["last_price", "order_sequence"])
    announce_book(market=market, touched=touched, changes=changes, depth=depth)
    return depth


def mark_price(market: Market, depth: dict[str, dict[Decimal, Decimal]]) -> Decimal | None:
    """The market's price as selectors.market_prices would read it now: last trade, else mid, else None."""
    if market.last_price is not None:
        return market.last_price
    return mid_price(*best_prices(depth))


def cancel(*, order: Order, reason: str, changes: ChangeSet) -> None:
    """Take a resting order off the book and release what it still holds (market lock held)."""
    _cancelled(order=order, reason=reason, changes=changes)
    order.save()


def _cancelled(*, order: Order, reason: str, changes: ChangeSet) -> None:
    changes.release(order.account_id, held_currency(order), order.reserved)
    order.reserved = ZERO
    order.status, order.status_reason = OrderStatus.CANCELLED, reason
    order.updated_at = timezone.now()
    changes.emit(OrderCancelled.of(order), key=order.account_id)


def announce_book(
    *, market: Market, touched: set[tuple[str, Decimal]], changes: ChangeSet, depth: dict | None = None
) -> None:
    """orderbook_update with the absolute quantity now at each touched level, then price_update.

    `depth` is the book as it now stands (book_depth after this call's changes); read when not given."""
    if not touched:
        return
    depth = book_depth(symbol=market.symbol) if depth is None else depth
    book_changes = {}
    for side, name in ((Side.BUY, "bids"), (Side.SELL, "asks")):
        prices = sorted({price for s, price in touched if s == side}, reverse=side == Side.BUY)
        book_changes[name] = [(price, depth[side].get(price, ZERO)) for price in prices]
    changes.emit(OrderbookUpdate.of(market.symbol, book_changes), key=market.symbol)
    changes.emit(price_event(market, depth), key=market.symbol)


def price_event(market: Market, depth: dict[str, dict[Decimal, Decimal]]) -> PriceUpdate:
    bid, ask = best_prices(depth)
    return PriceUpdate.of(market.symbol, bid, ask, market.last_price)


def best_prices(depth: dict[str, dict[Decimal, Decimal]]) -> tuple[Decimal | None, Decimal | None]:
    """(best bid, best ask) of a book's depth; None for an empty side."""
    bids = [price for price, quantity in depth[Side.BUY].items() if quantity > 0]
    asks = [price for price, quantity in depth[Side.SELL].items() if quantity > 0]
    return (max(bids) if bids else None), (min(asks) if asks else None)


def _depth_add(depth: dict[str, dict[Decimal, Decimal]], order: Order, quantity: Decimal) -> None:
    level = depth[order.side]
    level[order.limit_price] = level.get(order.limit_price, ZERO) + quantity
    if level[order.limit_price] <= 0:
        del level[order.limit_price]


def _best_opposite(order: Order, depth: dict[str, dict[Decimal, Decimal]]) -> Decimal | None:
    best_bid, best_ask = best_prices(depth)
    return best_ask if order.side == Side.BUY else best_bid


def _refuse_if_crossing(order: Order, depth: dict[str, dict[Decimal, Decimal]]) -> None:
    """A post-only order must add liquidity: refused (nothing placed) if it would trade on arrival."""
    best_opposite = _best_opposite(order, depth)
    if best_opposite is not None and _crosses(order, best_opposite):
        raise ServiceError(
            "POST_ONLY_WOULD_CROSS",
            f"A post-only {order.side} at {decimal_text(order.limit_price)} would trade against the book at "
            f"{decimal_text(best_opposite)}; nothing was placed.",
            details={"price": order.limit_price, "best_opposite_price": best_opposite},
        )


def _plan(order: Order, depth: dict[str, dict[Decimal, Decimal]]) -> Plan:
    plan = Plan()
    opposite = Side.SELL if order.side == Side.BUY else Side.BUY
    best_opposite = _best_opposite(order, depth)
    if best_opposite is None or (order.order_type == OrderType.LIMIT and not _crosses(order, best_opposite)):
        return plan  # nothing to trade with: the resting orders are not read at all
    remaining = order.quantity
    makers = resting_orders(symbol=order.market_id, side=opposite)
    if order.order_type == OrderType.LIMIT:
        makers = makers.filter(**{"price__lte" if order.side == Side.BUY else "price__gte": order.price})
    for maker in makers:
        maker.market = order.market
        if maker.account_id == order.account_id:
            plan.own_orders.append(maker)
            continue
        quantity = min(remaining, maker.remaining)
        plan.fills.append((maker, quantity))
        remaining -= quantity
        if not remaining:
            break
    return plan


def _crosses(order: Order, resting_price: Decimal) -> bool:
    return resting_price <= order.limit_price if order.side == Side.BUY else resting_price >= order.limit_price


def _reservation(order: Order, plan: Plan) -> Decimal:
    """Sells hold the whole quantity; limit buys quantity x limit price plus commission; market buys
    exactly what their planned fills cost (they never rest, so nothing more is needed)."""
    if order.side == Side.SELL:
        return order.quantity
    if order.order_type == OrderType.LIMIT:
        return _cost(notional(order.quantity, order.limit_price))
    return plan.cost()


def _execute(*, taker: Order, maker: Order, quantity: Decimal, changes: ChangeSet) -> None:
    price = maker.limit_price
    gross = notional(quantity, price)
    buy, sell = (taker, maker) if taker.side == Side.BUY else (maker, taker)
    trade = Trade.objects.create(
        market=taker.market,
        buy_order=buy,
        sell_order=sell,
        buyer_id=buy.account_id,
        seller_id=sell.account_id,
        taker_side=taker.side,
        price=price,
        quantity=quantity,
        gross_amount=gross,
        commission=commission(gross),
        executed_at=timezone.now(),
    )
    settlement = Settlement.objects.create(trade=trade, settlement_date=trade.executed_at, created_at=trade.executed_at)
    # What the trade needs stays held until settlement moves it.
    buy.reserved -= _cost(gross)
    sell.reserved -= quantity
    for order in (buy, sell):
        order.filled += quantity
        order.fill_value += gross
        order.updated_at = trade.executed_at
        if order.remaining:
            order.status = OrderStatus.PARTIALLY_FILLED
            changes.emit(OrderUpdated.of(order), key=order.account_id)
        else:
            order.status = OrderStatus.FILLED
            changes.release(order.account_id, held_currency(order), order.reserved)  # price improvement
            order.reserved = ZERO
            changes.emit(OrderFilled.of(order, trade), key=order.account_id)
        if order is maker:
            order.save()
    for side, account_id in ((Side.BUY, buy.account_id), (Side.SELL, sell.account_id)):
        changes.emit(TradeExecuted.of(trade, side), key=account_id)
        changes.emit(SettlementCreated.of(settlement), key=account_id)
    taker.market.last_price = price


def _rest_or_end(order: Order, changes: ChangeSet) -> None:
    """After matching: a gtc limit order rests on the book; an ioc order's or a market order's unfilled part ends."""
    if order.order_type == OrderType.LIMIT and order.time_in_force == TimeInForce.GTC:
        if order.status == OrderStatus.PENDING:
            order.status = OrderStatus.OPEN
            changes.emit(OrderUpdated.of(order), key=order.account_id)
        return
    if order.order_type == OrderType.LIMIT:
        _cancelled(order=order, reason=IOC_REMAINDER, changes=changes)  # saved by submit
        return
    if order.filled:
        _cancelled(order=order, reason="no_liquidity", changes=changes)  # saved by submit
    else:
        changes.release(order.account_id, held_currency(order), order.reserved)
        order.reserved = ZERO
        order.status, order.status_reason = OrderStatus.REJECTED, "no_liquidity"
        changes.emit(OrderUpdated.of(order), key=order.account_id)
