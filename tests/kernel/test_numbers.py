"""One spelling of a decimal: a JSON number, or a plain ASCII decimal string; everything else is refused."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from kernel.json import loads
from kernel.numbers import InvalidDecimal, decimal_parse, decimal_text
from tests.conftest import token_for
from tests.trading.conftest import approve, fund
from trading.models import Order, Withdrawal

ARABIC_INDIC_100 = "\u0661\u0660\u0660"  # reads as 100 to Decimal()
FULLWIDTH_100 = "\uff11\uff10\uff10"
LENIENT = [" 100 ", "100 ", "1_00", ARABIC_INDIC_100, FULLWIDTH_100, "1e2", "1E2", "+100", "100.", ".5", "0x10", "NaN", "Infinity", "-Infinity", "", "1,5"]


@pytest.mark.parametrize(
    "value, expected",
    [(100, Decimal(100)), (Decimal("150.5"), Decimal("150.5")), ("100", Decimal(100)), ("-0.5", Decimal("-0.5")),
     ("0.00000001", Decimal("0.00000001")), (Decimal("1E+2"), Decimal(100))],
)
def test_json_numbers_and_plain_decimal_strings_are_read(value, expected):
    assert decimal_parse(value, field="price") == expected


@pytest.mark.parametrize("value", [*LENIENT, True, False, None, 1.5, [], {}, Decimal("NaN"), Decimal("Infinity")])
def test_anything_else_is_refused_naming_the_field(value):
    with pytest.raises(InvalidDecimal, match=r"^quantity must be a JSON number or a string of ASCII digits"):
        decimal_parse(value, field="quantity")


@pytest.fixture
def trader_client(make_user, markets):
    user = make_user()
    approve(user)
    fund(user, USDC="100000", AAPL="100")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["price", "quantity"])
@pytest.mark.parametrize("spelling", LENIENT)
def test_order_entry_refuses_lenient_numbers(trader_client, field, spelling):
    order = {"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": "1", "price": "100", field: spelling}
    response = trader_client.post("/v1/orders", order, format="json")
    assert response.status_code == 400
    body = loads(response.content)
    assert body["code"] == "VALIDATION_ERROR" and list(body["errors"]) == [field]
    assert body["errors"][field][0].startswith(f"{field} must be a JSON number or a string of ASCII digits")
    assert not Order.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", ["100", 100, "100.0", Decimal("100.00")])
def test_order_entry_takes_the_plain_spellings(trader_client, spelling):
    order = {"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": "2", "price": spelling}
    response = trader_client.post("/v1/orders", order, format="json")
    assert response.status_code == 201, response.content
    assert Order.objects.get().price == Decimal(100)


@pytest.mark.django_db
def test_withdrawals_refuse_lenient_amounts(trader_client):
    response = trader_client.post("/v1/withdrawals", {"currency": "USDC", "amount": ARABIC_INDIC_100, "address": "0xabc"}, format="json")
    assert response.status_code == 400 and list(loads(response.content)["errors"]) == ["amount"]
    assert not Withdrawal.objects.exists()


@pytest.mark.django_db
def test_deposits_refuse_lenient_amounts(make_user, administrator):
    user = make_user()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(administrator)}")
    deposit = {"account_id": user.account.id, "currency": "USDC", "amount": " 100 ", "transaction_hash": "0x1"}
    response = client.post("/v1/deposits", deposit, format="json")
    assert response.status_code == 400 and list(loads(response.content)["errors"]) == ["amount"]


@pytest.mark.parametrize(
    "value, text",
    [(Decimal("1.5015E+7"), "15015000"), (Decimal("0.00010"), "0.0001"), (Decimal("150.50"), "150.5"), (Decimal("1E+1"), "10"),
     (Decimal("-0.00"), "0"), (Decimal("-2.5"), "-2.5"), (100, "100")],
)
def test_decimal_text_writes_a_number_as_people_read_it(value, text):
    assert decimal_text(value) == text


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_text_never_uses_an_exponent_and_keeps_every_digit(value):
    text = decimal_text(value)
    assert "E" not in text.upper() and decimal_parse(text, field="value") == value
