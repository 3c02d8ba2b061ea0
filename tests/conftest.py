"""Fixtures shared by every test: users with roles, tokens, WebSocket clients and service checks."""

import socket
import uuid
from urllib.parse import urlparse

import pytest
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from accounts.roles import ADMIN, COMPLIANCE, TRADER
from accounts.services import user_create
from cantondex.asgi import application
from streams.hub import stop_hub
from tests.e2e import server as e2e_server
from tests.event_shapes import (  # noqa: F401 (hooks: every declared event type must be exercised)
    pytest_deselected,
    pytest_runtest_logfinish,
    pytest_sessionfinish,
    pytest_terminal_summary,
)
from tests.support.ci import required_in_ci
from tests.support.flush import flush_patch
from tests.support.ws import CommunicatorTransport, WsClient

DEFAULT_MARKETS = [("AAPL/USDC", "AAPL", "USDC"), ("GOOGL/USDC", "GOOGL", "USDC")]


def redis_url() -> str:
    return settings.REDIS_URL or "redis://127.0.0.1:6379/0"


def redis_reachable() -> bool:
    parsed = urlparse(redis_url())
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session", autouse=True)
def quick_flush():
    """How transactional tests empty the database after themselves (tests/support/flush.py). Session-scoped: in
    place until every test's flush has run."""
    with pytest.MonkeyPatch.context() as patch:
        flush_patch(patch, type(connection.ops))
        yield


@pytest.fixture(scope="module", autouse=True)
def no_server_outlives_its_module():
    """Fails the module that leaves a daphne it started running (and stops it): it would go on running background
    jobs on the test database, holding the leases and locks of the tests after it. Module-scoped and autouse, so
    it is set up before, and checked after, the module's own server fixtures."""
    yield
    left = e2e_server.leftovers_stopped()
    assert not left, f"{len(left)} daphne process(es) outlived their test module: {left}"


@pytest.fixture(autouse=True)
def fast_password_hashing(request, settings):
    """Tests make many users and the production hasher costs ~0.25 s each. Browser and end-to-end tests
    may log in through a real daphne, which verifies passwords with its own (production) hashers."""
    if not any(request.node.get_closest_marker(name) for name in ("browser", "e2e")):
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def quiet_health_probes(settings):
    """Jobs run in many tests, probes among them; the suite's own load must not flip services to degraded.
    tests/operations/test_probes.py sets the thresholds it tests."""
    for name in ("CDX_PROBE_DATABASE_MS", "CDX_PROBE_REDIS_MS", "CDX_PROBE_CHANNEL_LAYER_MS", "CDX_PROBE_MATCHING_P99_MS"):
        setattr(settings, name, 3_600_000)


@pytest.fixture(autouse=True)
def fresh_rate_counts(settings):
    """REST rate counters live in the cache (Redis in CI), which outlives a test: each test counts its own."""
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {name: {**config, "KEY_PREFIX": prefix} for name, config in settings.CACHES.items()}


@pytest.fixture
def require_redis():
    """Tests that need Redis fail in CI when it is missing, and skip (saying why) elsewhere."""
    required_in_ci(redis_reachable(), f"Redis is not reachable at {redis_url()}")
    return redis_url()


@pytest.fixture
def markets(db):
    from trading.models import Market

    for symbol, base, quote in DEFAULT_MARKETS:
        Market.objects.get_or_create(symbol=symbol, defaults={"base": base, "quote": quote})
    return [symbol for symbol, _, _ in DEFAULT_MARKETS]


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def make(role: str = TRADER, username: str | None = None, password: str = "correct-horse-1"):
        return user_create(username=username or f"{role}{next(counter)}", password=password, role=role)

    return make


@pytest.fixture
def trader(make_user):
    return make_user(TRADER)


@pytest.fixture
def other_trader(make_user):
    return make_user(TRADER)


@pytest.fixture
def officer(make_user):
    return make_user(COMPLIANCE)


@pytest.fixture
def administrator(make_user):
    return make_user(ADMIN)


def token_for(user, lifetime_s: float | None = None) -> str:
    token = AccessToken.for_user(user)
    if lifetime_s is not None:
        from datetime import timedelta

        token.set_exp(lifetime=timedelta(seconds=lifetime_s))
    return str(token)


@pytest.fixture
async def ws():
    """Opens WebSocket clients on the real ASGI application; closes them and the hub afterwards."""
    clients: list[WsClient] = []

    async def connect(path: str = "/v1/ws", headers: list | None = None) -> WsClient:
        communicator = WebsocketCommunicator(application, path, headers=headers or [])
        connected, _ = await communicator.connect()
        assert connected
        client = WsClient(CommunicatorTransport(communicator))
        clients.append(client)
        return client

    yield connect
    for client in clients:
        await client.close()
    await stop_hub()
    # Each test has its own event loop; a channels-redis layer keeps locks and pools bound to the loop
    # that used it, so the next test gets a fresh layer (channel_layers.set is Channels' hook for this).
    used = channel_layers.set(DEFAULT_CHANNEL_LAYER, channel_layers.make_backend(DEFAULT_CHANNEL_LAYER))
    if hasattr(used, "close_pools"):
        await used.close_pools()


@pytest.fixture
async def authed(ws):
    """A connected client already authenticated as `user`."""

    async def connect(user) -> WsClient:
        client = await ws()
        reply = await client.request({"type": "auth", "token": token_for(user)})
        assert reply["status"] == "authenticated", reply
        return client

    return connect
