"""Exact JSON: decimals travel as JSON numbers in both directions, never through float."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import simplejson
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer


def dumps(value: Any) -> str:
    return simplejson.dumps(value, use_decimal=True, separators=(",", ":"), ensure_ascii=False, default=_default)


# Built once: simplejson.loads(use_decimal=True) builds a decoder (and its scanner) on every call.
# Shared across threads as the json modules share their default decoder.
_DECODER = simplejson.JSONDecoder(parse_float=Decimal)


def loads(text: str | bytes) -> Any:
    return _DECODER.decode(text.decode() if isinstance(text, bytes) else text)


class TooDeeplyNested(ValueError):
    """JSON text nests arrays and objects deeper than allowed."""


# A string (its escapes skipped, the closing quote optional so an unterminated one runs to the end),
# or a bracket. Brackets inside strings are not structure; in UTF-8 no byte of a multi-byte character
# is a quote, backslash or bracket, so the same scan reads bytes.
_STRUCTURE = r'"[^"\\]*(?:\\.[^"\\]*)*"?|(?P<open>[\[{])|(?P<close>[\]}])'
_STRUCTURE_TEXT = re.compile(_STRUCTURE, re.DOTALL)
_STRUCTURE_BYTES = re.compile(_STRUCTURE.encode(), re.DOTALL)


def nesting_check(text: str | bytes, *, max_depth: int) -> None:
    """Refuse JSON text nested deeper than `max_depth` arrays and objects, before any parser sees it:
    parsers recurse once per level, so a 10,000-deep document would exhaust the stack. One flat scan,
    no recursion; malformed text is left for the parser to refuse."""
    matches = _STRUCTURE_BYTES.finditer(text) if isinstance(text, bytes) else _STRUCTURE_TEXT.finditer(text)
    depth = 0
    for match in matches:
        if match.lastgroup == "open":
            depth += 1
            if depth > max_depth:
                raise TooDeeplyNested(f"JSON nested deeper than {max_depth} levels")
        elif match.lastgroup == "close":
            depth -= 1


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class PlainDecimal(Decimal):
    """A Decimal that prints without an exponent, so JSON shows 0.00000001 and 100000, not 1E-8, 1E+5."""

    __slots__ = ()

    def __str__(self) -> str:
        return format(self, "f")

    def __format__(self, spec: str, *rest) -> str:
        return super().__format__(spec or "f", *rest)  # f"{plain(x)}" as str(): 150, not 1.5E+2


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
