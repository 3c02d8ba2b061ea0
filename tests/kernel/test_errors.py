"""Every REST error is `{code, message, details}` JSON: DRF's refusals (401, 403, 404, 405, 406, 415), an unknown
/v1 path and an unexpected failure included; headers (WWW-Authenticate, Allow, Retry-After) are kept."""

from datetime import timedelta

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from kernel.json import loads
from tests.conftest import token_for


def envelope_of(response) -> dict:
    assert response["Content-Type"] == "application/json", response.content[:200]
    body = loads(response.content)
    assert isinstance(body["code"], str) and isinstance(body["message"], str) and isinstance(body["details"], dict), body
    return body


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.django_db
def test_no_credentials_is_401_auth_required_with_www_authenticate():
    response = APIClient().get("/v1/orders")
    assert response.status_code == 401 and response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert envelope_of(response)["code"] == "AUTH_REQUIRED"


def test_an_expired_token_is_401_token_expired_and_a_forged_one_invalid_token(trader):
    expired = bearer(token_for(trader, lifetime_s=-1)).get("/v1/orders")
    assert expired.status_code == 401 and "WWW-Authenticate" in expired
    body = envelope_of(expired)
    assert body["code"] == "TOKEN_EXPIRED" and body["details"] == {"reason": "token_expired"} and "refresh" in body["message"]
    forged = token_for(trader)[:-4] + "AAAA"
    assert envelope_of(bearer(forged).get("/v1/orders"))["code"] == "INVALID_TOKEN"
    assert envelope_of(bearer("garbage").get("/v1/orders"))["code"] == "INVALID_TOKEN"


def test_an_expired_or_used_refresh_token_says_which(trader):
    expired = RefreshToken.for_user(trader)
    expired.set_exp(lifetime=timedelta(seconds=-1))
    response = APIClient().post("/v1/auth/token/refresh", {"refresh": str(expired)}, format="json")
    body = envelope_of(response)
    assert response.status_code == 401 and body["code"] == "TOKEN_EXPIRED" and "sign in again" in body["message"]
    used = str(RefreshToken.for_user(trader))
    assert APIClient().post("/v1/auth/token/refresh", {"refresh": used}, format="json").status_code == 200
    response = APIClient().post("/v1/auth/token/refresh", {"refresh": used}, format="json")
    assert response.status_code == 401 and envelope_of(response)["code"] == "INVALID_TOKEN"


def test_bad_credentials_and_a_bad_api_key_are_401_auth_failed(trader):
    response = APIClient().post("/v1/auth/token", {"username": trader.username, "password": "wrong"}, format="json")
    assert response.status_code == 401
    assert envelope_of(response) == {
        "code": "AUTH_FAILED",
        "message": "No active account found with the given credentials",
        "details": {"reason": "no_active_account"},
    }
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="ApiKey key_0000000000000000.nope")
    response = client.get("/v1/orders")
    assert response.status_code == 401 and response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert envelope_of(response)["code"] == "AUTH_FAILED"


def test_a_role_that_may_not_is_403_insufficient_permissions(officer):
    response = bearer(token_for(officer)).get("/v1/orders")
    assert response.status_code == 403
    assert envelope_of(response) == {"code": "INSUFFICIENT_PERMISSIONS", "message": "Only traders may do this.", "details": {}}


def test_a_method_the_path_does_not_take_is_405_with_allow(trader):
    response = bearer(token_for(trader)).put("/v1/orders", {}, format="json")
    assert response.status_code == 405 and response["Allow"] == "GET, POST, DELETE, HEAD, OPTIONS"
    body = envelope_of(response)
    assert body["code"] == "METHOD_NOT_ALLOWED" and body["details"] == {"method": "PUT", "allowed": ["GET", "POST", "DELETE", "HEAD", "OPTIONS"]}


def test_unsupported_body_type_is_415_and_unacceptable_accept_406(trader):
    client = bearer(token_for(trader))
    response = client.post("/v1/orders", "symbol=AAPL/USDC", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    body = envelope_of(response)
    assert body["code"] == "UNSUPPORTED_MEDIA_TYPE" and body["details"]["supported"] == ["application/json"]
    response = client.get("/v1/orders", HTTP_ACCEPT="text/csv")
    assert response.status_code == 406 and envelope_of(response)["code"] == "NOT_ACCEPTABLE"


def test_malformed_json_is_400_invalid_request(trader):
    response = bearer(token_for(trader)).post("/v1/orders", "{", content_type="application/json")
    assert response.status_code == 400 and envelope_of(response)["code"] == "INVALID_REQUEST"


def test_validation_errors_are_in_details_too(trader, markets):
    response = bearer(token_for(trader)).post("/v1/orders", {"side": "buy"}, format="json")
    body = envelope_of(response)
    assert response.status_code == 400 and body["code"] == "VALIDATION_ERROR"
    assert "symbol" in body["details"]["errors"] and body["errors"] == body["details"]["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_rest_path_is_json_404_and_other_paths_keep_the_html_page(settings, debug):
    settings.DEBUG = debug
    response = Client().get("/v1/no-such-thing")
    assert response.status_code == 404
    assert envelope_of(response) == {
        "code": "NOT_FOUND",
        "message": "Nothing is at /v1/no-such-thing.",
        "details": {"path": "/v1/no-such-thing"},
    }
    assert envelope_of(Client().delete("/v1/orders/ord_1/extra"))["code"] == "NOT_FOUND"
    html = Client().get("/no-such-page")
    assert html.status_code == 404 and html["Content-Type"].startswith("text/html")


def test_an_unexpected_failure_under_v1_is_json_500(trader, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("trading.api.selectors.order_list", fail)
    client = Client(raise_request_exception=False)
    response = client.get("/v1/orders", HTTP_AUTHORIZATION=f"Bearer {token_for(trader)}")
    assert response.status_code == 500
    assert envelope_of(response)["code"] == "INTERNAL_ERROR"


@pytest.mark.django_db
def test_an_unexpected_failure_outside_v1_keeps_the_html_page(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("django.views.generic.base.TemplateView.get", fail)
    response = Client(raise_request_exception=False).get("/")  # the landing page
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
