"""Numbers, durations and an alert's facts as an officer reads them: separators, rounding, labels."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.text import capfirst

from kernel.numbers import decimal_text

# Labels for the facts the rules record (compliance.rules); any other key is shown as its words.
FACT_LABELS = {
    "orders_in_window": "Orders in the window",
    "usual_orders_per_window": "Usual orders per window",
    "window_seconds": "Window",
    "threshold": "Threshold",
    "usdc_value": "Value (USDC)",
    "transaction_id": "Transaction",
    "transaction_type": "Transaction type",
    "trade_id": "Trade",
}


def number_text(value: Decimal | int | float) -> str:
    """1000000 -> "1,000,000"; 1234.5678 -> "1,234.57"; 0.0301647... -> "0.0302", 0.00001234 -> "0.0000123"
    (three significant digits)."""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return f"{number:,.0f}"
    if abs(number) >= 1:
        return f"{number:,.2f}".rstrip("0").rstrip(".")
    # Three significant digits, written plainly (float's "g" would write 0.0000123 as 1.23e-05).
    return decimal_text(number.quantize(Decimal(1).scaleb(number.adjusted() - 2)))


def duration_text(seconds: int) -> str:
    """120 -> "2 minutes", 86400 -> "24 hours" (the words of the rules' descriptions)."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def _value_text(key: str, value: Any) -> str:
    if key == "window_seconds" and isinstance(value, int):
        return duration_text(value)
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, list):
        return "; ".join(_value_text(key, item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value_text(k, v)}" for k, v in value.items())
    try:
        return number_text(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


def facts_display(facts: dict) -> list[tuple[str, str]]:
    """An alert's facts as (label, text) rows, in the order the rule recorded them."""
    return [
        (FACT_LABELS.get(key) or capfirst(key.replace("_", " ")), _value_text(key, value)) for key, value in facts.items()
    ]
