"""REST request rates: reads and writes per user, anonymous calls per IP; the next one is 429 with Retry-After."""

import pytest
from rest_framework.test import APIClient

from kernel.json import loads
from kernel.throttles import client_ip
from tests.conftest import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(**scopes: str) -> None:
        rest = dict(settings.REST_FRAMEWORK)
        rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], **scopes}
        settings.REST_FRAMEWORK = rest

    return set_rates


def client_for(user, ip: str = "127.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=ip)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def assert_rate_limited(response, *, within_s: int) -> None:
    assert response.status_code == 429, response.content
    body = loads(response.content)
    assert set(body) == {"code", "message", "details"} and body["code"] == "RATE_LIMITED"
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= within_s and body["details"] == {"retry_after_s": retry_after}


def test_the_read_after_the_limit_is_refused_per_user(rates, trader, other_trader):
    rates(read="3/min")
    client = client_for(trader)
    assert [client.get("/v1/accounts/me").status_code for _ in range(3)] == [200, 200, 200]
    assert_rate_limited(client.get("/v1/orders"), within_s=60)
    assert client_for(other_trader).get("/v1/accounts/me").status_code == 200  # another user counts apart


def test_writes_are_counted_apart_from_reads(rates, trader, markets):
    rates(read="2/min", write="2/min")
    client = client_for(trader)
    order = {"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": "1", "price": "1"}
    # Refused for want of funds, but counted: each was an order entry.
    assert [client.post("/v1/orders", order, format="json").status_code for _ in range(2)] == [400, 400]
    assert_rate_limited(client.post("/v1/orders", order, format="json"), within_s=60)
    assert_rate_limited(client.delete("/v1/orders/ord_0000000000000000"), within_s=60)
    assert [client.get("/v1/orders").status_code for _ in range(2)] == [200, 200]
    assert_rate_limited(client.get("/v1/orders"), within_s=60)


def test_anonymous_calls_are_counted_per_ip(rates, trader):
    rates(anon="2/hour")
    credentials = {"username": trader.username, "password": "correct-horse-1"}
    first = APIClient(REMOTE_ADDR="10.0.0.1")
    assert [first.post("/v1/auth/token", credentials, format="json").status_code for _ in range(2)] == [200, 200]
    assert_rate_limited(first.post("/v1/auth/token/refresh", {"refresh": "x"}, format="json"), within_s=3600)
    # A client's own X-Forwarded-For does not make it someone else (no trusted proxy by default).
    spoofed = APIClient(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert_rate_limited(spoofed.post("/v1/auth/token", credentials, format="json"), within_s=3600)
    assert APIClient(REMOTE_ADDR="10.0.0.2").post("/v1/auth/token", credentials, format="json").status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_counts(rates, settings, trader):
    rates(anon="1/hour")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    credentials = {"username": trader.username, "password": "correct-horse-1"}

    def through_proxy(client_ip: str):
        proxied = APIClient(REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR=client_ip)
        return proxied.post("/v1/auth/token", credentials, format="json")

    assert through_proxy("192.0.2.1").status_code == 200
    assert through_proxy("192.0.2.2").status_code == 200
    assert_rate_limited(through_proxy("192.0.2.1"), within_s=3600)


@pytest.mark.redis
def test_with_redis_the_counts_are_shared_by_every_server(rates, settings, require_redis, trader):
    """Counted in Redis, so another server process (another cache client) sees the same count."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": require_redis, "KEY_PREFIX": prefix}}
    rates(read="2/min")
    client = client_for(trader)
    assert [client.get("/v1/accounts/me").status_code for _ in range(2)] == [200, 200]
    other_server = RedisCache(require_redis, {"KEY_PREFIX": prefix})
    assert len(other_server.get(f"throttle_read_{trader.pk}")) == 2
    assert isinstance(caches["default"], RedisCache)
    assert_rate_limited(client.get("/v1/accounts/me"), within_s=60)


@pytest.mark.parametrize(
    "proxies, meta, expected",
    [
        (0, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "192.0.2.1"}, "10.0.0.1"),
        (1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "192.0.2.1"}, "192.0.2.1"),
        # a client's own X-Forwarded-For in front of what the proxy appended counts for nothing
        (1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 192.0.2.1"}, "192.0.2.1"),
        (1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "not-an-ip"}, "10.0.0.1"),
        (0, {"REMOTE_ADDR": ""}, None),  # a Unix socket: nothing to count by
    ],
)
def test_the_client_ip_for_lockouts_is_the_throttles_and_always_an_ip(settings, rf, proxies, meta, expected):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    request = rf.get("/v1/markets")
    request.META.update(meta)
    assert client_ip(request) == expected
