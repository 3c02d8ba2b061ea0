"""The one spelling of a client's decimal: prices, quantities and amounts, on REST and WebSocket alike."""

import re
from decimal import Decimal

# [0-9], not \d: \d also matches other scripts' digits (Arabic-Indic 100), which Decimal() would read as 100.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")

PLAIN_DECIMAL_RULE = (
    'a JSON number or a string of ASCII digits with an optional leading "-" and one decimal point, '
    'such as 100 or "0.5" (no spaces, underscores, exponents, NaN or Infinity)'
)


class InvalidDecimal(ValueError):
    """The value is not a decimal in the one accepted spelling."""


def decimal_parse(value: object, *, field: str) -> Decimal:
    """`value` (as the exact JSON parser gives it: int, Decimal or str) as a Decimal. Python's Decimal()
    alone is too lenient for an exchange: it reads " 100 ", "1_00", "1e2" and non-ASCII digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, str) and _PLAIN_DECIMAL.fullmatch(value):
        return Decimal(value)
    raise InvalidDecimal(f"{field} must be {PLAIN_DECIMAL_RULE}.")


def decimal_text(value: Decimal | int) -> str:
    """A number as a person reads it in a message: 15015000, 0.0001, 150.5; never an exponent (1.5015E+7),
    never trailing zeros, every digit kept (no rounding to the context's 28 digits, as normalize() does)."""
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
