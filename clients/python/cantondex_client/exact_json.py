"""JSON with exact decimals: every number with a fraction or exponent becomes a Decimal, never a float; a Decimal
is written as a JSON number with exactly its digits, as the gateway writes money and quantities."""

import json
import re
from decimal import Decimal
from typing import Any

# The json module writes an object only as what `default` returns, and a float would round: a Decimal goes
# through as a string carrying this mark (control characters, escaped by json, that no text of ours holds), and
# the mark's quotes are taken off afterwards.
_MARK = "\x00decimal\x00"
_MARKED = re.compile(r'"\\u0000decimal\\u0000(-?[0-9.]+)"')


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any) -> str:
    return _MARKED.sub(r"\1", json.dumps(value, default=_marked, separators=(",", ":")))


def _marked(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} has no JSON number")
        return _MARK + format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
