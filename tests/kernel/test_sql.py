"""kernel.sql: a PreparedQuery gives what its queryset gives; rows_insert and instance_update write what the ORM would."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import F, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kernel.sql import PreparedQuery, instance_update, rows_insert
from streams.models import StreamEvent
from trading.models import Balance

pytestmark = pytest.mark.django_db


@pytest.fixture
def balances(trader, other_trader):
    rows = [
        Balance(account_id=trader.account.id, currency="USDC", available=Decimal("12.34567891"), reserved=Decimal("1")),
        Balance(account_id=trader.account.id, currency="BTC", available=Decimal("0.00000001")),
        Balance(account_id=other_trader.account.id, currency="USDC", available=Decimal("7")),
    ]
    Balance.objects.bulk_create(rows)
    return [trader.account.id, other_trader.account.id]


def _by_account(account_ids):
    return (
        Balance.objects.filter(account_id__in=account_ids)
        .values_list("account_id", "currency", "available")
        .order_by("account_id", "currency")
    )


def test_rows_are_the_querysets_own_for_every_list_length(balances):
    prepared = PreparedQuery(_by_account)

    assert prepared.rows(account_ids=balances) == list(_by_account(balances))
    assert prepared.rows(account_ids=balances[:1]) == list(_by_account(balances[:1]))
    assert prepared.rows(account_ids=balances[1:]) == list(_by_account(balances[1:]))


def test_decimal_aggregates_come_back_as_the_orm_gives_them(balances):
    def totals(account_id):
        return Balance.objects.filter(account_id=account_id).values_list("account_id").annotate(
            held=Sum(F("available") + F("reserved"))
        ).order_by()

    assert PreparedQuery(totals).rows(account_id=balances[0]) == list(totals(balances[0])) == [
        (balances[0], Decimal("13.34567892"))
    ]


def test_an_integer_parameter_and_model_instances(balances):
    first = Balance.objects.filter(account_id=balances[0]).order_by("pk")[0]
    fields = [field.attname for field in Balance._meta.concrete_fields]
    prepared = PreparedQuery(lambda pk: Balance.objects.filter(pk=pk).values_list(*fields, "currency"))

    [loaded] = prepared.instances(Balance, fields, ("again",), pk=first.pk)

    assert (loaded.pk, loaded.available, loaded.again) == (first.pk, first.available, first.currency)
    assert not loaded._state.adding


def test_the_statement_is_compiled_once_and_run_each_time(balances):
    prepared = PreparedQuery(_by_account)
    prepared.rows(account_ids=balances)
    with CaptureQueriesContext(connection) as captured:
        prepared.rows(account_ids=balances[::-1])

    assert len(captured.captured_queries) == 1
    assert len(prepared._compiled) == 1  # same vendor, same list length: the compiled statement is reused


def test_a_parameter_the_sql_does_not_carry_unchanged_is_refused(balances):
    prepared = PreparedQuery(lambda currency: Balance.objects.filter(currency__icontains=currency).values_list("pk"))

    with pytest.raises(ValueError, match="do not reach the SQL unchanged"):
        prepared.rows(currency="usd")


def test_rows_insert_writes_the_rows_bulk_create_would():
    now = timezone.now()
    rows = [(f"test:{i}", "orders", i, f'{{"n": {i}}}', now, False) for i in range(1, 4)]

    with transaction.atomic():
        rows_insert(StreamEvent, ("stream", "channel", "sequence", "text", "created_at", "relayed"), rows)

    stored = list(StreamEvent.objects.filter(stream__startswith="test:").order_by("sequence").values_list(
        "stream", "channel", "sequence", "text", "created_at", "relayed"
    ))
    assert stored == rows


def test_instance_update_writes_only_the_named_fields(balances):
    balance = Balance.objects.filter(account_id=balances[0], currency="USDC").get()
    balance.available, balance.reserved, balance.currency = Decimal("99.5"), Decimal("0.25"), "XYZ"

    instance_update(balance, ("available", "reserved"))

    balance.refresh_from_db()
    assert (balance.currency, balance.available, balance.reserved) == ("USDC", Decimal("99.5"), Decimal("0.25"))
