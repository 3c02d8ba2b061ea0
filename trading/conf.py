"""Trading settings: a Django setting of the same name wins, else the environment, else the default."""

import os
from decimal import Decimal

from django.conf import settings

DEFAULTS: dict[str, str] = {
    # Commission charged to each side of a fill, as a fraction of the gross amount (0.001 = 0.1 %).
    "CDX_TRADING_FEE_RATE": "0.001",
    # Dotted path of the ledger adapter class that settles trades and sends withdrawals.
    "CDX_LEDGER_ADAPTER": "trading.ledger.LocalLedger",
    # The currency balances are valued in (balance_updated, margin) and credit lines are drawn in.
    "CDX_VALUATION_CURRENCY": "USDC",
    # margin_call below the warning level; the liquidation level is reported with it.
    "CDX_MARGIN_WARNING_LEVEL": "0.5",
    "CDX_MARGIN_LIQUIDATION_LEVEL": "0.3",
    # How often the jobs look for pending settlements / withdrawals and review margins (a commit wakes them sooner).
    "CDX_SETTLEMENT_INTERVAL_S": "1",
    "CDX_WITHDRAWAL_INTERVAL_S": "2",
    "CDX_MARGIN_REVIEW_INTERVAL_S": "10",
}


def text(name: str) -> str:
    if hasattr(settings, name):
        return str(getattr(settings, name))
    return os.environ.get(name, DEFAULTS[name])


def decimal(name: str) -> Decimal:
    return Decimal(text(name))


def seconds(name: str) -> float:
    return float(text(name))
