"""Keyset pagination of REST lists: newest first, `limit` and an opaque `cursor` in, `{results, next_cursor}` out.

Not DRF's CursorPagination: its cursor is base64 a client can edit at will, its answer is `{next, previous,
results}` with whole URLs, and it breaks ties of its one ordering field with an offset. Here a page ends at the
key (time, id) of its last row; the next page is every row strictly older than that key, so rows inserted
meanwhile (newer, at the front) neither repeat nor shift anything. The cursor is that key signed with
django.core.signing (SECRET_KEY) under a salt naming the list and whose list it is (the account, the market):
an edited cursor, or one from another list or another account, is 400 INVALID_CURSOR.

A list whose filter is an OR of two columns (an account's fills: bought or sold) cannot be read from one index in
order; given as a DisjointUnion of one queryset per column instead, each part yields its own newest rows from its
own index and only those are merged, so a page costs O(limit) however long the list.
"""

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db import connections
from django.db.models import Model, Q, QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.response import Response

from .errors import ServiceError

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True)
class DisjointUnion:
    """A list made of querysets of one model and the same annotations, no row in two of them."""

    parts: tuple[QuerySet, ...]


Pageable = QuerySet | DisjointUnion  # what paginate pages


@dataclass(frozen=True)
class Page:
    results: list[Any]
    next_cursor: str | None  # None on the last page


class _PageQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    cursor = serializers.CharField(required=False, allow_blank=True)  # empty: the first page, as when absent


PAGE_PARAMETERS = [
    OpenApiParameter("limit", int, description=f"Rows per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})."),
    OpenApiParameter("cursor", str, description="The `next_cursor` of the page before; absent for the first page."),
]


def _salt(list_name: str, owner: str) -> str:
    return f"kernel.pagination:{list_name}:{owner}"


def paginate(rows: Pageable, *, query_params, list_name: str, owner: str, time_field: str = "created_at") -> Page:
    """One page of `rows`, newest first by (`time_field`, id), as `query_params` (limit, cursor) ask.
    `list_name` and `owner` (an account id, a symbol) bind the cursors this list hands out to it.
    Bad limit: ValidationError (400 VALIDATION_ERROR); bad cursor: 400 INVALID_CURSOR."""
    # From a plain dict: from a QueryDict DRF takes an empty `limit=` for an absent one (the default).
    query = _PageQuery(data=query_params.dict() if hasattr(query_params, "dict") else query_params)
    query.is_valid(raise_exception=True)
    limit: int = query.validated_data["limit"]
    salt = _salt(list_name, owner)
    older = Q()
    if cursor := query.validated_data.get("cursor"):
        moment, last_id = _cursor_key(cursor, salt=salt)
        # The `lte` bound says nothing the OR does not, but PostgreSQL starts an index scan at it (it cannot at an
        # OR): a page deep in the list no longer reads every newer row first.
        at_or_before = Q(**{f"{time_field}__lte": moment})
        older = at_or_before & (Q(**{f"{time_field}__lt": moment}) | Q(**{time_field: moment, "id__lt": last_id}))
    newest_first = (f"-{time_field}", "-id")
    selected = _union_of_first_pages(rows, older, newest_first, limit + 1) if isinstance(rows, DisjointUnion) else rows.filter(older)
    page_rows: list[Model] = list(selected.order_by(*newest_first)[: limit + 1])
    if len(page_rows) <= limit:
        return Page(results=page_rows, next_cursor=None)
    last = page_rows[limit - 1]
    next_cursor = signing.dumps([getattr(last, time_field).isoformat(), last.pk], salt=salt)
    return Page(results=page_rows[:limit], next_cursor=next_cursor)


def _union_of_first_pages(union: DisjointUnion, older: Q, newest_first: tuple[str, str], size: int) -> QuerySet:
    """UNION ALL of each part's own `size` newest rows past the cursor: the page is among them, and each part can
    read them in order from an index that leads with its filter and then (time, id). ALL: the parts are disjoint."""
    if connections[union.parts[0].db].features.supports_slicing_ordering_in_compound:
        parts = [part.filter(older).order_by(*newest_first)[:size] for part in union.parts]
    else:  # SQLite (development) allows no ORDER BY, not even a Meta.ordering, in a part: whole parts, cut once after
        parts = [part.filter(older).order_by() for part in union.parts]
    first, *rest = parts
    return first.union(*rest, all=True)


def _cursor_key(cursor: str, *, salt: str) -> tuple[datetime, str]:
    try:
        moment, last_id = signing.loads(cursor, salt=salt)
        return datetime.fromisoformat(moment), last_id
    except (signing.BadSignature, ValueError, TypeError):
        raise ServiceError(
            "INVALID_CURSOR",
            "The cursor is not one this list handed out: start again without it.",
            details={"parameter": "cursor"},
        ) from None


def page_response(
    request, rows: Pageable, serializer_class: type[serializers.Serializer], *, list_name: str, owner: str, time_field: str = "created_at"
) -> Response:
    """The REST answer of a list: the page the request asks for, `{results, next_cursor}`."""
    page = paginate(rows, query_params=request.query_params, list_name=list_name, owner=owner, time_field=time_field)
    return Response({"results": serializer_class(page.results, many=True).data, "next_cursor": page.next_cursor})


@functools.cache
def page_serializer(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The schema of a page of `serializer_class` rows (`OrderSerializer` -> `OrderPage`), for extend_schema. Name
    the operation too (`operation_id="orders_list"`): a page is one object, which spectacular calls `_retrieve`."""
    name = serializer_class.__name__.removesuffix("Serializer") + "PageSerializer"
    fields = {
        "results": serializer_class(many=True),
        "next_cursor": serializers.CharField(allow_null=True, help_text="Pass as `cursor` for the next page; null on the last."),
    }
    return type(name, (serializers.Serializer,), fields)
