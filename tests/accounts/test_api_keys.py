"""Scoped API keys for bots: made once over REST, hashed at rest, enforced on REST and the WebSocket, revocable."""

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_create, api_key_revoke
from kernel.json import loads
from streams.protocol import CloseCode
from tests.conftest import token_for
from tests.streams.wire import assert_error
from tests.trading.conftest import approve, fund
from tests.two_factor import force_login_verified

pytestmark = pytest.mark.django_db(transaction=True)

ORDER = {"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": 10, "price": 150.5}
WITHDRAWAL = {"currency": "USDC", "amount": 100, "address": "0xbot"}


@pytest.fixture
def bot_owner(trader, markets):
    approve(trader)
    fund(trader, USDC="100000")
    return trader


def password_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey {key}")
    return client


def call(client, method: str, path: str, body=None) -> tuple[int, Any]:
    response = getattr(client, method)(path, body, format="json")
    return response.status_code, loads(response.content) if response.content else None


def create_key(user, **body) -> dict:
    status, created = call(password_client(user), "post", "/v1/api-keys", {"scopes": ["read", "trade"], **body})
    assert status == 201, created
    return created


def test_a_key_is_shown_once_and_only_its_hash_is_kept(bot_owner):
    created = create_key(bot_owner, label="market maker")
    key_id, _, secret = created["key"].partition(".")
    assert key_id == created["api_key_id"] and key_id.startswith("key_") and len(secret) >= 40
    assert created["scopes"] == ["read", "trade"] and created["label"] == "market maker"
    assert created["revoked_at"] is None and created["expires_at"] is None and created["last_used_at"] is None

    stored = ApiKey.objects.get(pk=key_id)
    assert secret not in stored.secret_hash and stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    status, listed = call(password_client(bot_owner), "get", "/v1/api-keys")
    assert status == 200 and [k["api_key_id"] for k in listed] == [key_id]
    assert "key" not in listed[0] and secret not in str(listed)


def test_a_bot_trades_with_a_key_that_cannot_withdraw(bot_owner):
    bot = key_client(create_key(bot_owner)["key"])

    status, order = call(bot, "post", "/v1/orders", ORDER)
    assert status == 201, order
    assert call(bot, "get", "/v1/orders")[1]["results"][0]["order_id"] == order["order_id"]
    status, cancelled = call(bot, "delete", f"/v1/orders/{order['order_id']}")
    assert status == 200 and cancelled["status"] == "cancelled"

    status, refused = call(bot, "post", "/v1/withdrawals", WITHDRAWAL)
    assert status == 403
    assert refused["code"] == "INSUFFICIENT_SCOPE" and "withdraw" in refused["message"]
    assert refused["details"]["required_scope"] == "withdraw" and refused["details"]["scopes"] == ["read", "trade"]
    assert not bot_owner.account.withdrawals.exists()
    assert ApiKey.objects.get().last_used_at is not None
    # The same trader with a password keeps every right.
    assert call(password_client(bot_owner), "post", "/v1/withdrawals", WITHDRAWAL)[0] == 201


def test_scopes_each_open_their_own_calls(bot_owner):
    reader = key_client(create_key(bot_owner, scopes=["read"])["key"])
    assert call(reader, "get", "/v1/accounts/me")[0] == 200
    status, refused = call(reader, "post", "/v1/orders", ORDER)
    assert status == 403 and refused["code"] == "INSUFFICIENT_SCOPE" and refused["details"]["required_scope"] == "trade"

    withdrawer = key_client(create_key(bot_owner, scopes=["withdraw"])["key"])
    assert call(withdrawer, "post", "/v1/withdrawals", WITHDRAWAL)[0] == 201
    status, refused = call(withdrawer, "get", "/v1/orders")
    assert status == 403 and refused["details"]["required_scope"] == "read"


def test_keys_cannot_manage_keys_nor_make_calls_no_view_opened_to_them(bot_owner, administrator):
    key = create_key(bot_owner, scopes=["read", "trade", "withdraw"])
    bot = key_client(key["key"])
    for method, path in (("get", "/v1/api-keys"), ("post", "/v1/api-keys"), ("delete", f"/v1/api-keys/{key['api_key_id']}")):
        status, refused = call(bot, method, path, {"scopes": ["read"]})
        assert status == 403 and refused["code"] == "API_KEY_NOT_ALLOWED", (method, path)
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 1

    _, staff_key = api_key_create(user=administrator, scopes=["read", "trade", "withdraw"])
    staff_bot = key_client(staff_key)
    body = {"account_id": bot_owner.account.id, "currency": "USDC", "amount": 1, "transaction_hash": "0x1"}
    status, refused = call(staff_bot, "post", "/v1/deposits", body)
    assert status == 403 and refused["code"] == "API_KEY_NOT_ALLOWED"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda key: key + "x",  # wrong secret
        lambda key: key.split(".")[0],  # no secret
        lambda key: "key_0000000000000000." + key.split(".")[1],  # no such key
        lambda key: "garbled",
        lambda key: f"{key} {key}",  # two values
    ],
)
def test_wrong_or_garbled_keys_are_refused(bot_owner, mangle):
    key = create_key(bot_owner)["key"]
    status, _ = call(key_client(mangle(key)), "get", "/v1/orders")
    assert status == 401
    assert ApiKey.objects.get().last_used_at is None


def test_a_revoked_key_stops_at_once_and_another_users_key_is_not_found(bot_owner, other_trader):
    key = create_key(bot_owner)
    bot = key_client(key["key"])
    assert call(bot, "get", "/v1/orders")[0] == 200

    status, missing = call(password_client(other_trader), "delete", f"/v1/api-keys/{key['api_key_id']}")
    assert status == 404 and missing["code"] == "API_KEY_NOT_FOUND"
    assert call(bot, "get", "/v1/orders")[0] == 200

    status, revoked = call(password_client(bot_owner), "delete", f"/v1/api-keys/{key['api_key_id']}")
    assert status == 200 and revoked["revoked_at"] is not None
    assert call(bot, "get", "/v1/orders")[0] == 401
    assert call(password_client(bot_owner), "get", "/v1/api-keys")[1][0]["revoked_at"] == revoked["revoked_at"]


def test_an_expired_key_is_refused_and_expiry_must_be_in_the_future(bot_owner):
    soon = timezone.now() + timedelta(seconds=30)
    key = create_key(bot_owner, expires_at=soon.isoformat())
    bot = key_client(key["key"])
    assert call(bot, "get", "/v1/orders")[0] == 200
    ApiKey.objects.filter(pk=key["api_key_id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert call(bot, "get", "/v1/orders")[0] == 401

    past = (timezone.now() - timedelta(hours=1)).isoformat()
    status, refused = call(password_client(bot_owner), "post", "/v1/api-keys", {"scopes": ["read"], "expires_at": past})
    assert status == 400 and "expires_at" in refused["errors"]
    status, refused = call(password_client(bot_owner), "post", "/v1/api-keys", {"scopes": ["admin"]})
    assert status == 400 and "scopes" in refused["errors"]
    status, refused = call(password_client(bot_owner), "post", "/v1/api-keys", {"scopes": []})
    assert status == 400 and "scopes" in refused["errors"]


# WebSocket: {"type": "auth", "api_key": "..."}


async def test_a_bot_streams_its_orders_with_a_key_and_loses_the_socket_when_it_is_revoked(ws, authed, bot_owner):
    created = await sync_to_async(create_key)(bot_owner)
    bot = await ws()
    reply = await bot.request({"type": "auth", "api_key": created["key"], "correlation_id": "k"})
    assert reply["status"] == "authenticated" and reply["account_id"] == bot_owner.account.id
    assert reply["correlation_id"] == "k"
    assert (await bot.request({"type": "subscribe", "channel": "orders"}))["status"] == "subscribed"
    status, order = await sync_to_async(call)(key_client(created["key"]), "post", "/v1/orders", ORDER)
    assert status == 201
    assert (await bot.wait_for("order_created"))["order_id"] == order["order_id"]

    browser = await authed(bot_owner)  # the trader's own socket (JWT) is not the key's
    api_key = await ApiKey.objects.aget(pk=created["api_key_id"])
    await sync_to_async(api_key_revoke)(api_key=api_key)
    error = await bot.wait_for("error")
    assert assert_error(error, "CONNECTION_CLOSED") == {"reason": "api_key_revoked", "closing": True}
    assert await bot.wait_closed() == CloseCode.DISABLED
    assert await browser.nothing_more(0.3)

    again = await ws()
    assert (await again.request({"type": "auth", "api_key": created["key"]}))["status"] == "failed"


async def test_websocket_refuses_garbled_expired_and_read_less_keys(ws, bot_owner):
    _, no_read_key = await sync_to_async(api_key_create)(user=bot_owner, scopes=["trade", "withdraw"])
    _, expired_key = await sync_to_async(api_key_create)(
        user=bot_owner, scopes=["read"], expires_at=timezone.now() - timedelta(seconds=1)
    )
    for key in (no_read_key, expired_key, expired_key + "x", "garbled", "", 42, None):
        client = await ws()
        reply = await client.request({"type": "auth", "api_key": key})
        assert reply["status"] == "failed" and reply["error_code"] == "INVALID_TOKEN", key
        details = assert_error(await client.request({"type": "subscribe", "channel": "orders"}), "AUTH_REQUIRED")
        assert details == {"type": "subscribe"}


async def test_a_key_socket_closes_when_the_key_expires(ws, bot_owner):
    _, key = await sync_to_async(api_key_create)(
        user=bot_owner, scopes=["read"], expires_at=timezone.now() + timedelta(seconds=0.5)
    )
    client = await ws()
    assert (await client.request({"type": "auth", "api_key": key}))["status"] == "authenticated"
    error = await client.wait_for("error")
    assert assert_error(error, "AUTH_FAILED")["reason"] == "token_expired"


def test_staff_list_and_revoke_keys_in_the_admin(bot_owner, administrator):
    key = create_key(bot_owner, label="arbitrage bot")
    staff = Client()
    force_login_verified(staff, administrator)
    listing = staff.get("/admin/accounts/apikey/").content.decode()
    assert key["api_key_id"] in listing and "arbitrage bot" in listing
    assert key["key"].split(".")[1] not in listing and ApiKey.objects.get().secret_hash not in listing

    response = staff.post(
        "/admin/accounts/apikey/", {"action": "revoke", "_selected_action": [key["api_key_id"]]}, follow=True
    )
    assert response.status_code == 200 and ApiKey.objects.get().revoked_at is not None
    assert call(key_client(key["key"]), "get", "/v1/orders")[0] == 401
