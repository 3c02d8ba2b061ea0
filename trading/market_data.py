"""Selectors of public market data: a market's book, its recent trades and its 24-hour ticker.

The book and the prices are read with the selectors the market_data channel's snapshot uses
(trading.channels.market_snapshot), so REST and the socket show the same levels and prices.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Max, Min, QuerySet, Sum
from django.utils import timezone

from kernel.errors import ServiceError

from .models import Market, Side, Trade, TradeStatus
from .money import mid_price
from .selectors import best_price, book_levels

TICKER_WINDOW = timedelta(hours=24)
PERCENT = Decimal("0.01")


def market_get(*, symbol: str) -> Market:
    """An active market; 404 MARKET_NOT_FOUND otherwise."""
    market = Market.objects.filter(pk=symbol, active=True).first()
    if market is None:
        raise ServiceError("MARKET_NOT_FOUND", f"No market {symbol!r}.", details={"symbol": symbol}, status_code=404)
    return market


@dataclass(frozen=True)
class Orderbook:
    symbol: str
    bids: list[tuple[Decimal, Decimal]]  # (price, quantity), best first
    asks: list[tuple[Decimal, Decimal]]
    timestamp: datetime


def orderbook_get(*, symbol: str, depth: int) -> Orderbook:
    """The best `depth` price levels of each side, aggregated as the market_data snapshot aggregates them."""
    market = market_get(symbol=symbol)
    return Orderbook(
        symbol=market.symbol,
        bids=book_levels(symbol=market.symbol, side=Side.BUY, depth=depth),
        asks=book_levels(symbol=market.symbol, side=Side.SELL, depth=depth),
        timestamp=timezone.now(),
    )


def public_trade_list(*, symbol: str) -> QuerySet[Trade]:
    """A market's trades, without who traded; a trade cancelled after the fact did not happen."""
    market = market_get(symbol=symbol)
    trades = Trade.objects.filter(market_id=market.symbol).exclude(status=TradeStatus.CANCELLED)
    return trades.only("id", "market_id", "price", "quantity", "taker_side", "executed_at")


@dataclass(frozen=True)
class Ticker:
    symbol: str
    last_price: Decimal | None
    bid: Decimal | None
    ask: Decimal | None
    mid: Decimal | None
    open_24h: Decimal | None
    high_24h: Decimal | None
    low_24h: Decimal | None
    volume_24h: Decimal
    quote_volume_24h: Decimal
    trades_24h: int
    change_24h: Decimal | None
    change_percent_24h: Decimal | None
    timestamp: datetime


def ticker_get(*, symbol: str) -> Ticker:
    """Last price, best bid and ask and mid as the market_data channel's price_update gives them, and the
    statistics of the trades of the last 24 hours (cancelled trades left out)."""
    market = market_get(symbol=symbol)
    now = timezone.now()
    bid, ask = best_price(symbol=market.symbol, side=Side.BUY), best_price(symbol=market.symbol, side=Side.SELL)
    window = Trade.objects.filter(market_id=market.symbol, executed_at__gt=now - TICKER_WINDOW).exclude(status=TradeStatus.CANCELLED)
    stats = window.aggregate(
        high=Max("price"), low=Min("price"), volume=Sum("quantity"), quote_volume=Sum("gross_amount"), count=Count("id")
    )
    opening = window.order_by("executed_at", "id").values_list("price", flat=True).first()
    change = percent = None
    if opening is not None and market.last_price is not None:
        change = market.last_price - opening
        percent = (change / opening * 100).quantize(PERCENT)
    return Ticker(
        symbol=market.symbol,
        last_price=market.last_price,
        bid=bid,
        ask=ask,
        mid=mid_price(bid, ask),  # as price_update's mid
        open_24h=opening,
        high_24h=stats["high"],
        low_24h=stats["low"],
        volume_24h=stats["volume"] or Decimal("0"),
        quote_volume_24h=stats["quote_volume"] or Decimal("0"),
        trades_24h=stats["count"],
        change_24h=change,
        change_percent_24h=percent,
        timestamp=now,
    )
