"""Every string a REST client sends is checked once, before any view, serializer or query sees it.

PostgreSQL refuses NUL in text and no encoder takes a lone surrogate, so either would surface as a 500
from deep inside a query; an unbounded string costs memory and logs. The path and query parameters are
checked by client_input_middleware, JSON bodies (every string, keys included, and the nesting depth) by
CheckedJSONParser, the REST parser. Both answer 400 INVALID_REQUEST in the error envelope.
"""

import io
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.http import HttpResponse
from django.utils.decorators import sync_and_async_middleware
from rest_framework.exceptions import ParseError

from .json import ExactJSONParser, TooDeeplyNested, dumps, nesting_check

REST_PREFIX = "/v1/"


def string_problem(text: str, *, max_chars: int) -> str | None:
    """Why a client's string cannot be used, or None when it can."""
    if len(text) > max_chars:
        return f"longer than {max_chars} characters"
    if "\x00" in text:
        return "contains a NUL character"
    if not text.isascii():  # the common case needs no encoding
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate"
    return None


def unusable_string_find(document: Any, *, max_chars: int, root: str) -> tuple[str, str] | None:
    """(where, why) for the first string of a parsed JSON document, keys included, that cannot be used;
    None when every one can. Walked with a stack, not recursion. `where` reads like `channels[0].account_id`
    (`root` for the document itself, `root key` or `key` for a key at the top)."""
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, str):
            if problem := string_problem(value, max_chars=max_chars):
                return where or root, problem
        elif isinstance(value, dict):
            for key, item in value.items():
                if problem := string_problem(key, max_chars=max_chars):
                    return f"{where or root} key".lstrip(), problem
                pending.append((f"{where}.{key}" if where else key, item))
        elif isinstance(value, list):
            pending.extend((f"{where}[{index}]", item) for index, item in enumerate(value))
    return None


class InvalidRequest(ParseError):
    """400 INVALID_REQUEST with `details` (kernel.errors writes the envelope). A ParseError, not a
    ServiceError: DRF imports this module while kernel.errors imports DRF."""

    def __init__(self, message: str, *, details: dict[str, Any]):
        super().__init__(message)
        self.details = details


def _invalid_request(where: str, problem: str) -> InvalidRequest:
    return InvalidRequest(f"{where} {problem}.", details={"field": where, "reason": problem})


def _url_problem(request) -> InvalidRequest | None:
    max_chars = settings.CDX_REST_MAX_STRING_CHARS
    if problem := string_problem(request.path_info, max_chars=max_chars):
        return _invalid_request("path", problem)
    for name, values in request.GET.lists():
        if problem := string_problem(name, max_chars=max_chars):
            return _invalid_request("query parameter name", problem)
        for value in values:
            if problem := string_problem(value, max_chars=max_chars):
                return _invalid_request(f"query parameter {name}", problem)
    return None


def _refusal(request) -> HttpResponse | None:
    if not request.path_info.startswith(REST_PREFIX) or not (error := _url_problem(request)):
        return None
    body = {"code": "INVALID_REQUEST", "message": str(error.detail), "details": error.details}
    return HttpResponse(dumps(body), status=error.status_code, content_type="application/json")


@sync_and_async_middleware
def client_input_middleware(get_response):
    """Answers 400 for a REST request whose path or query parameters hold an unusable string. Sync and
    async alike, so daphne's requests do not hop to a thread for it."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            return _refusal(request) or await get_response(request)

    else:

        def middleware(request):
            return _refusal(request) or get_response(request)

    return middleware


def _body_problem(document: Any) -> InvalidRequest | None:
    found = unusable_string_find(document, max_chars=settings.CDX_REST_MAX_STRING_CHARS, root="body")
    return _invalid_request(*found) if found else None


class CheckedJSONParser(ExactJSONParser):
    """The exact JSON parser, with the nesting depth bounded before parsing and every string checked after."""

    def parse(self, stream, media_type=None, parser_context=None):
        text = stream.read()
        try:
            nesting_check(text, max_depth=settings.CDX_JSON_MAX_DEPTH)
        except TooDeeplyNested as exc:
            raise InvalidRequest(f"{exc}.", details={"max_depth": settings.CDX_JSON_MAX_DEPTH}) from None
        try:
            document = super().parse(io.BytesIO(text), media_type, parser_context)
        except ParseError as exc:
            raise InvalidRequest(str(exc.detail), details={"reason": "malformed_json"}) from None
        if error := _body_problem(document):
            raise error
        return document



def query_filters(request, serializer_class) -> dict[str, Any]:
    """A list's query filters as `serializer_class` validates them (400 VALIDATION_ERROR otherwise). Read from a
    plain dict: from a QueryDict DRF takes an absent boolean for false."""
    query = serializer_class(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)
