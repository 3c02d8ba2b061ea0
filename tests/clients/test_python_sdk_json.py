"""The Python SDK's JSON: decimals go out as JSON numbers with exactly their digits (as the contract writes money
and quantities) and come back as Decimal, never through a float."""

from decimal import Decimal

import pytest
from cantondex_client import exact_json


def test_a_decimal_is_written_as_a_json_number_with_exactly_its_digits():
    text = exact_json.dumps({"price": Decimal("150.25"), "tiny": Decimal("-0.00000001"), "levels": [Decimal("1.10")], "n": 3})
    assert text == '{"price":150.25,"tiny":-0.00000001,"levels":[1.10],"n":3}'
    assert exact_json.loads(text) == {"price": Decimal("150.25"), "tiny": Decimal("-1E-8"), "levels": [Decimal("1.10")], "n": 3}


def test_digits_a_float_would_round_survive_the_round_trip():
    exact = Decimal("0.1000000000000000055511151231257827")
    assert exact_json.loads(exact_json.dumps({"q": exact}))["q"] == exact


def test_text_is_left_as_text():
    assert exact_json.loads(exact_json.dumps({"s": "150.25", "c": "\x00"})) == {"s": "150.25", "c": "\x00"}


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity")])
def test_a_decimal_json_cannot_write_is_refused(value):
    with pytest.raises(ValueError, match="has no JSON number"):
        exact_json.dumps({"q": value})
