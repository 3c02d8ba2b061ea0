from django.db import transaction
from django.db.models.signals import post_delete, post_save

from accounts.selectors import account_exists
from streams.caches import snapshot_cache, value_cache
from streams.events import Event
from streams.publishing import stream_sequence
from streams.registry import account_channel, register, symbol_channel

from .events import MARKET_DATA, ORDERS, SETTLEMENTS, TRADES, OrderbookSnapshot
from .matching import price_event
from .models import Market, Side
from .selectors import book_depth, book_levels, market_symbols


def _account_exists(account_id: str) -> bool:
    return account_exists(account_id=account_id)


def market_snapshot(symbol: str) -> tuple[list[Event], int]:
    """The whole book of a symbol (levels aggregated, best first) and its prices, for a new subscriber."""
    sequence = stream_sequence(channel=MARKET_DATA, key=symbol)  # read before the state it precedes
    market = Market.objects.get(pk=symbol)
    book = OrderbookSnapshot.of(
        symbol, book_levels(symbol=symbol, side=Side.BUY), book_levels(symbol=symbol, side=Side.SELL)
    )
    return [book, price_event(market, book_depth(symbol=symbol))], sequence


# Every subscriber of a symbol gets the same snapshot and checks against the same symbols: read once.
_market_snapshot = snapshot_cache(MARKET_DATA, market_snapshot)
_known_symbols = value_cache(market_symbols)


def _market_changed(sender, instance: Market, **kwargs) -> None:
    # After the commit: forgetting earlier would let another thread cache the old rows again.
    def forget() -> None:
        _known_symbols.forget()
        _market_snapshot.forget(instance.symbol)

    transaction.on_commit(forget)


post_save.connect(_market_changed, sender=Market, dispatch_uid="trading.channels.market_changed")
post_delete.connect(_market_changed, sender=Market, dispatch_uid="trading.channels.market_deleted")

register(account_channel(ORDERS, "order updates", account_exists=_account_exists))
register(account_channel(TRADES, "trade updates", account_exists=_account_exists))
register(account_channel(SETTLEMENTS, "settlement updates", account_exists=_account_exists))
register(symbol_channel(MARKET_DATA, "market data", known_symbols=_known_symbols, snapshot=_market_snapshot))
