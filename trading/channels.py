from accounts.selectors import account_exists
from streams.api import stream_sequence
from streams.registry import account_channel, register, symbol_channel

from . import events
from .matching import price_event
from .models import Market, Side
from .selectors import book_levels, market_symbols


def _account_exists(account_id: str) -> bool:
    return account_exists(account_id=account_id)


def market_snapshot(symbol: str) -> tuple[list[dict], int]:
    """The whole book of a symbol (levels aggregated, best first) and its prices, for a new subscriber."""
    sequence = stream_sequence(channel="market_data", key=symbol)  # read before the state it precedes
    market = Market.objects.get(pk=symbol)
    book = events.orderbook_snapshot(
        symbol, book_levels(symbol=symbol, side=Side.BUY), book_levels(symbol=symbol, side=Side.SELL)
    )
    return [book, price_event(market)], sequence


register(account_channel("orders", "order updates", account_exists=_account_exists))
register(account_channel("trades", "trade updates", account_exists=_account_exists))
register(account_channel("settlements", "settlement updates", account_exists=_account_exists))
register(symbol_channel("market_data", "market data", known_symbols=market_symbols, snapshot=market_snapshot))
