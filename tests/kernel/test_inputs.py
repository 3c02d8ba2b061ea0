"""Hostile strings and nesting on REST get 400 INVALID_REQUEST in the error envelope, never a 500."""

import sys

import pytest
from rest_framework.test import APIClient

from kernel.json import TooDeeplyNested, loads, nesting_check
from tests.conftest import token_for
from trading.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    settings.DEBUG = request.param
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False


def client_for(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def invalid_request(response) -> dict:
    assert response.status_code == 400, response.content[:300]
    body = loads(response.content)
    assert set(body) == {"code", "message", "details"} and body["code"] == "INVALID_REQUEST", body
    return body


def post_raw(client, path: str, text: str):
    return client.post(path, data=text, content_type="application/json")


@pytest.mark.parametrize(
    "query, field, reason",
    [
        ("symbol=%00", "query parameter symbol", "contains a NUL character"),
        ("status=open%00", "query parameter status", "contains a NUL character"),
        ("%00=1", "query parameter name", "contains a NUL character"),
        ("symbol=" + "A" * 4097, "query parameter symbol", "longer than 4096 characters"),
    ],
)
def test_bad_query_parameters_are_refused(debug, trader, query, field, reason):
    body = invalid_request(client_for(trader).get(f"/v1/orders?{query}"))
    assert body["details"] == {"field": field, "reason": reason}
    assert field in body["message"] and reason in body["message"]


async def test_the_check_runs_before_login_on_the_asgi_path_too(async_client):
    response = await async_client.get("/v1/markets?symbol=%00")
    assert invalid_request(response)["details"] == {"field": "query parameter symbol", "reason": "contains a NUL character"}


def test_a_nul_in_the_path_is_refused(debug, trader):
    body = invalid_request(client_for(trader).delete("/v1/orders/ord_%00"))
    assert body["details"] == {"field": "path", "reason": "contains a NUL character"}


def test_the_string_limit_is_a_setting(settings, trader):
    settings.CDX_REST_MAX_STRING_CHARS = 12
    assert client_for(trader).get("/v1/orders?symbol=AAPL/USDC.XYZ").status_code == 400
    assert client_for(trader).get("/v1/orders?symbol=AAPL/USDC").status_code == 200


@pytest.mark.parametrize(
    "text, field, reason",
    [
        ('{"username": "a\\u0000", "password": "x"}', "username", "contains a NUL character"),
        ('{"username": "a", "password": "\\ud800"}', "password", "contains a lone surrogate"),
        ('{"username": "a", "password": "x", "\\u0000": 1}', "body key", "contains a NUL character"),
        ('{"username": "a", "password": "x", "extra": [{"deep": "\\udfff"}]}', "extra[0].deep", "contains a lone surrogate"),
        ('{"username": "a", "password": "' + "x" * 4097 + '"}', "password", "longer than 4096 characters"),
    ],
)
def test_bad_body_strings_are_refused_on_the_token_endpoint(debug, text, field, reason):
    body = invalid_request(post_raw(APIClient(raise_request_exception=False), "/v1/auth/token", text))
    assert body["details"] == {"field": field, "reason": reason}


@pytest.mark.parametrize("field", ["symbol", "side", "order_type"])
def test_bad_body_strings_are_refused_on_order_entry(debug, trader, markets, field):
    order = {"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": "1", "price": "1"}
    members = (f'"{k}": "{v}\\u0000"' if k == field else f'"{k}": "{v}"' for k, v in order.items())
    text = "{" + ", ".join(members) + "}"
    body = invalid_request(post_raw(client_for(trader), "/v1/orders", text))
    assert body["details"]["field"] == field and not Order.objects.exists()


def test_a_10000_deep_body_is_refused_before_parsing(debug):
    body = invalid_request(post_raw(APIClient(raise_request_exception=False), "/v1/auth/token", "[" * 10_000 + "]" * 10_000))
    assert body["details"] == {"max_depth": 32} and "deeper than 32" in body["message"]


def test_the_depth_limit_is_a_setting(settings, trader):
    settings.CDX_JSON_MAX_DEPTH = 2
    nested = '{"username": "a", "password": "b", "x": [[1]]}'
    assert invalid_request(post_raw(APIClient(), "/v1/auth/token", nested))["details"] == {"max_depth": 2}
    assert post_raw(APIClient(), "/v1/auth/token", '{"username": "a", "password": "b", "x": [1]}').status_code == 401


def test_malformed_json_is_an_invalid_request_in_the_envelope():
    body = invalid_request(post_raw(APIClient(), "/v1/auth/token", '{"username": '))
    assert body["message"].startswith("JSON parse error")


@pytest.mark.parametrize(
    "text",
    [
        "[" * 33 + "]" * 33,
        '{"a": ' * 33 + "1" + "}" * 33,
        "[" * 1_000_000,  # never closed: refused all the same, and the scan itself does not recurse
    ],
)
def test_nesting_check_refuses_deeper_than_the_limit(text):
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(100)
    try:
        with pytest.raises(TooDeeplyNested):
            nesting_check(text, max_depth=32)
        with pytest.raises(TooDeeplyNested):
            nesting_check(text.encode(), max_depth=32)
    finally:
        sys.setrecursionlimit(limit)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 32 + "]" * 32,
        '["' + "[" * 100 + '"]',  # brackets inside a string are text
        '["\\"' + "[" * 100 + '"]',  # and so after an escaped quote
        '["\\\\", ' + "[" * 31 + "]" * 31 + "]",  # an escaped backslash ends before the quote
        '{"é": "' + "{" * 100 + '"}',
    ],
)
def test_nesting_check_accepts_up_to_the_limit(text):
    nesting_check(text, max_depth=32)
    nesting_check(text.encode(), max_depth=32)
