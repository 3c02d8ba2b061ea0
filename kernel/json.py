"""Exact JSON: decimals travel as JSON numbers in both directions, never through float."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import simplejson
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer


def dumps(value: Any) -> str:
    return simplejson.dumps(value, use_decimal=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def loads(text: str | bytes) -> Any:
    return simplejson.loads(text, use_decimal=True)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class PlainDecimal(Decimal):
    """A Decimal that prints without an exponent, so JSON shows 0.00000001 and 100000, not 1E-8, 1E+5."""

    __slots__ = ()

    def __str__(self) -> str:
        return format(self, "f")


def plain(value: Decimal) -> PlainDecimal:
    """The same number without trailing zeros or an exponent: 150.50 -> 150.5, 1E+5 -> 100000."""
    return PlainDecimal(value.normalize())


def isoformat(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as every message and REST answer writes times."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utcnow_iso() -> str:
    return isoformat(datetime.now(UTC))


class ExactJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return dumps(data).encode()


class ExactJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return loads(stream.read())
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
