"""Keyset pagination (kernel.pagination): every row once, newest first, whatever ties and inserts; cursors are
signed and bound to their list and owner; limits are checked."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import signing
from django.http import QueryDict
from rest_framework.exceptions import ValidationError

from kernel.errors import ServiceError
from kernel.pagination import MAX_LIMIT, DisjointUnion, _salt, paginate
from trading.models import Deposit

pytestmark = pytest.mark.django_db

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def deposit(trader):
    def create(seconds: int, currency: str = "USDC") -> Deposit:
        return Deposit.objects.create(
            account=trader.account, currency=currency, amount=Decimal("1"), transaction_hash="0x", created_at=START + timedelta(seconds=seconds)
        )

    return create


def walk(queryset, *, limit: int, owner: str = "acc") -> list[list[str]]:
    pages, cursor = [], None
    while True:
        query = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = paginate(queryset, query_params=query, list_name="deposits", owner=owner)
        pages.append([row.id for row in page.results])
        if not (cursor := page.next_cursor):
            return pages


def test_pages_hold_every_row_once_newest_first_ties_broken_by_id(deposit):
    rows = [deposit(seconds) for seconds in (0, 1, 1, 1, 2, 3, 3)]  # three rows share one moment
    expected = [row.id for row in sorted(rows, key=lambda row: (row.created_at, row.id), reverse=True)]
    pages = walk(Deposit.objects.all(), limit=2)
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    assert [row_id for page in pages for row_id in page] == expected
    assert walk(Deposit.objects.all(), limit=7) == [expected]  # exactly one page: no empty page after it


def test_a_disjoint_union_pages_as_the_one_queryset_of_all_its_rows(deposit):
    for seconds, currency in [(0, "USDC"), (1, "AAPL"), (1, "USDC"), (1, "AAPL"), (2, "AAPL"), (3, "USDC"), (3, "USDC")]:
        deposit(seconds, currency)
    by_currency = DisjointUnion(parts=(Deposit.objects.filter(currency="USDC"), Deposit.objects.exclude(currency="USDC")))
    for limit in (1, 2, 3, 7, 8):
        assert walk(by_currency, limit=limit) == walk(Deposit.objects.all(), limit=limit), limit


def test_rows_inserted_between_pages_neither_repeat_nor_push_older_rows_out(deposit):
    older = [deposit(seconds).id for seconds in range(4)]
    first = paginate(Deposit.objects.all(), query_params={"limit": 2}, list_name="deposits", owner="acc")
    deposit(10)  # newer than all: it belongs before the first page
    second = paginate(Deposit.objects.all(), query_params={"limit": 2, "cursor": first.next_cursor}, list_name="deposits", owner="acc")
    assert [row.id for row in first.results + second.results] == older[::-1]
    assert second.next_cursor is None


def invalid_cursor(cursor: str, *, list_name: str = "deposits", owner: str = "acc") -> ServiceError:
    with pytest.raises(ServiceError) as refused:
        paginate(Deposit.objects.all(), query_params={"cursor": cursor}, list_name=list_name, owner=owner)
    return refused.value


def test_an_edited_or_foreign_cursor_is_refused(deposit):
    for seconds in range(3):
        deposit(seconds)
    cursor = paginate(Deposit.objects.all(), query_params={"limit": 1}, list_name="deposits", owner="acc").next_cursor
    assert cursor
    edited = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    forged = signing.dumps(["2026-01-01T00:00:00+00:00", "dep_0"], salt="someone else's salt")
    for refused in (
        invalid_cursor(edited),
        invalid_cursor(forged),
        invalid_cursor("not-a-cursor"),
        invalid_cursor(cursor, list_name="withdrawals"),  # another list's
        invalid_cursor(cursor, owner="acc_other"),  # another account's
    ):
        assert refused.code == "INVALID_CURSOR" and refused.status_code == 400 and refused.details == {"parameter": "cursor"}


@pytest.mark.parametrize(
    "payload",
    [None, "ab", [1, "dep_0"], ["2026-01-01T00:00:00+00:00"], ["2026-01-01T00:00:00+00:00", "dep_0", "x"], ["soon", "dep_0"]],
)
def test_a_signed_cursor_whose_key_is_not_a_time_and_an_id_is_refused(payload):
    """The ValueError and TypeError branch: signed for this very list, but not a (time, id) key."""
    refused = invalid_cursor(signing.dumps(payload, salt=_salt("deposits", "acc")))
    assert refused.code == "INVALID_CURSOR" and refused.status_code == 400 and refused.details == {"parameter": "cursor"}


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1, "abc", "1.5", ""])
def test_a_limit_out_of_range_or_not_an_integer_is_a_validation_error(limit):
    with pytest.raises(ValidationError) as refused:
        paginate(Deposit.objects.all(), query_params={"limit": limit}, list_name="deposits", owner="acc")
    assert "limit" in refused.value.detail


def test_an_empty_limit_in_a_query_string_is_refused_and_an_empty_cursor_is_the_first_page():
    with pytest.raises(ValidationError) as refused:
        paginate(Deposit.objects.all(), query_params=QueryDict("limit="), list_name="deposits", owner="acc")
    assert "limit" in refused.value.detail
    page = paginate(Deposit.objects.all(), query_params=QueryDict("cursor="), list_name="deposits", owner="acc")
    assert page.next_cursor is None
