from accounts.selectors import account_exists
from streams.registry import account_channel, register, symbol_channel

from .selectors import market_symbols


def _account_exists(account_id: str) -> bool:
    return account_exists(account_id=account_id)


register(account_channel("orders", "order updates", account_exists=_account_exists))
register(account_channel("trades", "trade updates", account_exists=_account_exists))
register(account_channel("settlements", "settlement updates", account_exists=_account_exists))
register(symbol_channel("market_data", "market data", known_symbols=market_symbols))
