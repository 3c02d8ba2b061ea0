"""JSON with exact decimals: every number with a fraction or exponent becomes a Decimal, never a float."""

import json
from decimal import Decimal
from typing import Any


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any) -> str:
    return json.dumps(value, default=_plain, separators=(",", ":"))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        # json has no hook to write a bare number from an object; a float would round. The gateway reads
        # numbers and numeric strings alike for money and quantities, so the exact digits go as a string.
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
