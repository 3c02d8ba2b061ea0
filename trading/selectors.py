from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, Exists, F, Max, Min, OuterRef, QuerySet, Subquery, Sum, When

from kernel.errors import ServiceError
from kernel.sql import PreparedQuery

from .models import RESTING_STATUSES, Balance, MarginState, Market, Order, Side
from .money import mid_price, notional


def market_symbols() -> list[str]:
    return list(Market.objects.filter(active=True).values_list("symbol", flat=True))


def market_list() -> list[Market]:
    return list(Market.objects.filter(active=True))


def known_currencies() -> set[str]:
    currencies = {settings.CDX_VALUATION_CURRENCY}
    for base, quote in Market.objects.values_list("base", "quote"):
        currencies.update((base, quote))
    return currencies


def balance_list(*, account_id: str) -> list[Balance]:
    return list(Balance.objects.filter(account_id=account_id).order_by("currency"))


def order_list(
    *,
    account_id: str,
    symbol: str | None = None,
    status: str | None = None,
    side: str | None = None,
    resting: bool | None = None,
    client_order_id: str | None = None,
) -> QuerySet[Order]:
    """An account's orders, filtered; `resting`: True for those still on the book (open or partially filled),
    False for the finished ones. Unordered: the caller pages it (kernel.pagination)."""
    orders = Order.objects.filter(account_id=account_id)
    if symbol:
        orders = orders.filter(market_id=symbol)
    if status:
        orders = orders.filter(status=status)
    if side:
        orders = orders.filter(side=side)
    if resting is not None:
        orders = orders.filter(status__in=RESTING_STATUSES) if resting else orders.exclude(status__in=RESTING_STATUSES)
    if client_order_id:
        orders = orders.filter(client_order_id=client_order_id)
    return orders


def order_by_client_id(*, account_id: str, client_order_id: str) -> Order | None:
    """The account's order with this client_order_id (unique per account), or None."""
    if not client_order_id:
        return None
    return Order.objects.filter(account_id=account_id, client_order_id=client_order_id).first()


def order_of_account(*, account_id: str, order_id: str | None = None, client_order_id: str | None = None) -> Order:
    """One of the account's orders, by its id or by its client_order_id: ORDER_NOT_FOUND (404) when the
    account has no such order, someone else's included (their ids are not revealed by a 403)."""
    if order_id is not None:
        order = Order.objects.filter(pk=order_id, account_id=account_id).first()
    else:
        order = order_by_client_id(account_id=account_id, client_order_id=client_order_id or "")
    if order is None:
        details: dict[str, str | None] = {"order_id": order_id} if order_id is not None else {"client_order_id": client_order_id}
        raise ServiceError("ORDER_NOT_FOUND", "No such order.", details=details, status_code=404)
    return order


def resting_orders(*, symbol: str, side: str):
    """The resting orders of one side in matching priority: best price first, then arrival."""
    price_order = "price" if side == Side.SELL else "-price"
    return Order.objects.filter(market_id=symbol, side=side, status__in=RESTING_STATUSES).order_by(
        price_order, "book_sequence"
    )


def book_levels(*, symbol: str, side: str, prices=None, depth: int | None = None) -> list[tuple[Decimal, Decimal]]:
    """(price, total remaining quantity) per level of one side, best first; only `prices` if given, only the
    best `depth` levels if given."""
    orders = resting_orders(symbol=symbol, side=side)
    if prices is not None:
        orders = orders.filter(price__in=list(prices))
    rows = orders.values("price").annotate(quantity=Sum(F("quantity") - F("filled"))).order_by(
        "price" if side == Side.SELL else "-price"
    )
    if depth is not None:
        rows = rows[:depth]
    return [(row["price"], row["quantity"]) for row in rows]


def best_price(*, symbol: str, side: str) -> Decimal | None:
    return resting_orders(symbol=symbol, side=side).values_list("price", flat=True).first()


def book_depth(*, symbol: str) -> dict[str, dict[Decimal, Decimal]]:
    """The whole book of a market as {side: {price: total remaining quantity}}, in one statement."""
    depth: dict[str, dict[Decimal, Decimal]] = {Side.BUY: {}, Side.SELL: {}}
    for side, price, quantity in _BOOK_DEPTH.rows(symbol=symbol):
        depth[side][price] = quantity
    return depth


# Read on every order: compiled once (kernel.sql).
_BOOK_DEPTH = PreparedQuery(
    lambda symbol: Order.objects.filter(market_id=symbol, status__in=RESTING_STATUSES)
    .values_list("side", "price")
    .annotate(quantity=Sum(F("quantity") - F("filled")))
    .order_by()
)


def market_prices() -> list[tuple[str, str, Decimal | None]]:
    """(symbol, base, price) of each market quoted in the valuation currency, by symbol: its last trade price,
    else the mid of its book, else None. One statement, whatever the markets."""
    rows = _MARKET_PRICES.rows(valuation_currency=settings.CDX_VALUATION_CURRENCY)
    return [(symbol, base, mid_price(bid, ask) if last_price is None else last_price) for symbol, base, last_price, bid, ask in rows]


def _market_prices_query(valuation_currency: str):
    # Read on every order: compiled once (kernel.sql; its subqueries cost more CPU to build than the database
    # takes to run them).
    def best(side: str, pick):
        # Only for a market that has not traded yet: the others are valued at their last price.
        resting = Order.objects.filter(market_id=OuterRef("symbol"), side=side, status__in=RESTING_STATUSES)
        price = Subquery(resting.order_by().values("market_id").annotate(best=pick("price")).values("best")[:1])
        return Case(When(last_price__isnull=True, then=price), default=None, output_field=Order._meta.get_field("price"))

    markets = Market.objects.filter(quote=valuation_currency).order_by("symbol")
    markets = markets.annotate(bid=best(Side.BUY, Max), ask=best(Side.SELL, Min))
    return markets.values_list("symbol", "base", "last_price", "bid", "ask")


_MARKET_PRICES = PreparedQuery(_market_prices_query)


def mark_prices(
    *, prices: list[tuple[str, str, Decimal | None]] | None = None, known: dict[str, Decimal | None] | None = None
) -> dict[str, Decimal]:
    """What one unit of each currency is worth in the valuation currency: the price of its market (the first
    by symbol), nothing for an unpriced one (valued at 0). `prices`: market_prices() read before;
    `known`: {symbol: price} of markets whose price the caller has just set (the market it matched)."""
    marks = {settings.CDX_VALUATION_CURRENCY: Decimal("1")}
    for symbol, base, price in market_prices() if prices is None else prices:
        if known and symbol in known:
            price = known[symbol]
        if price is not None:
            marks.setdefault(base, price)
    return marks


@dataclass(frozen=True)
class Valuation:
    """An account's holdings in the valuation currency at mark prices (see docs/trading.md, "Deposits, withdrawals, credit and margin")."""

    total: Decimal  # gross asset value: every currency's total x its mark price
    available: Decimal
    reserved: Decimal
    borrowed: Decimal  # drawn on the credit line
    in_margin_call: bool = False  # a margin_call went out and the level has not recovered since

    @property
    def equity(self) -> Decimal:
        return self.total - self.borrowed

    @property
    def margin_level(self) -> Decimal | None:
        """equity / gross asset value; None while nothing is borrowed (there is no margin to watch)."""
        if not self.borrowed:
            return None
        if self.total <= 0:
            return Decimal("0")
        return (self.equity / self.total).quantize(Decimal("1e-4"))


def account_valuation(*, account_id: str, marks: dict[str, Decimal] | None = None) -> Valuation:
    return account_valuations(account_ids=[account_id], marks=marks)[account_id]


def account_valuations(*, account_ids: list[str], marks: dict[str, Decimal] | None = None) -> dict[str, Valuation]:
    """Several accounts' valuations from one read of their balances."""
    margin_call = MarginState.objects.filter(account_id=OuterRef("account_id"), in_margin_call=True)
    balances = Balance.objects.filter(account_id__in=account_ids).annotate(margin_call=Exists(margin_call))
    return valuations_of(balances=list(balances), account_ids=account_ids, marks=mark_prices() if marks is None else marks)


def valuations_of(*, balances, account_ids: list[str], marks: dict[str, Decimal]) -> dict[str, Valuation]:
    """The valuations of these accounts' balance rows (each annotated with `margin_call`), in memory."""
    sums = {account_id: [Decimal("0")] * 3 for account_id in account_ids}
    in_margin_call = set()
    for balance in balances:
        mark = marks.get(balance.currency, Decimal("0"))
        held = sums[balance.account_id]
        held[0] += notional(balance.available, mark)
        held[1] += notional(balance.reserved, mark)
        held[2] += notional(balance.borrowed, mark)
        if getattr(balance, "margin_call", False):
            in_margin_call.add(balance.account_id)
    return {
        account_id: Valuation(
            total=available + reserved,
            available=available,
            reserved=reserved,
            borrowed=borrowed,
            in_margin_call=account_id in in_margin_call,
        )
        for account_id, (available, reserved, borrowed) in sums.items()
    }
