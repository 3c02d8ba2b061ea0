"""Exact arithmetic for trading amounts: no float, no silent rounding of products."""

from decimal import ROUND_DOWN, Context, Decimal
from typing import TypedDict

from django.conf import settings


class DecimalPrecision(TypedDict):
    """The precision arguments of a DecimalField; typed, so that `DecimalField(**MONEY, ...)` type-checks."""

    max_digits: int
    decimal_places: int


# The storage precision of every amount, trading's and compliance's alike.
MONEY: DecimalPrecision = {"max_digits": 30, "decimal_places": 8}
QUANTUM = Decimal("1e-8")  # the same precision as a Decimal, for quantize()
# Wide enough that quantity x price (each at most 20 digits) is never rounded before we decide how.
_EXACT = Context(prec=60)


def notional(quantity: Decimal, price: Decimal) -> Decimal:
    return _EXACT.multiply(quantity, price)


def commission(gross: Decimal) -> Decimal:
    """The fee on one side of a fill, rounded down to the storage precision.

    Rounding down means the fees of several partial fills never add up to more than the fee on the
    whole order, so a buy order's reservation always covers what its fills cost.
    """
    return _EXACT.multiply(gross, settings.CDX_TRADING_FEE_RATE).quantize(QUANTUM, rounding=ROUND_DOWN)


def is_multiple(value: Decimal, step: Decimal) -> bool:
    return step > 0 and _EXACT.remainder(value, step) == 0


def mid_price(bid: Decimal | None, ask: Decimal | None) -> Decimal | None:
    """Halfway between the best bid and the best ask; None unless both sides have one."""
    return (bid + ask) / 2 if bid is not None and ask is not None else None
