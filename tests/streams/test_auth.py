"""Authentication: tokens, the auth window, browser sessions, re-auth, expiry and disabled users."""

import time
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client
from prometheus_client import REGISTRY
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.services import user_deactivate
from cantondex.asgi import application
from streams import auth
from streams.protocol import CloseCode
from tests.conftest import token_for
from tests.streams.wire import ISO_UTC, assert_error


def auth_failures(reason: str) -> float:
    return REGISTRY.get_sample_value("cantondex_ws_auth_failures_total", {"reason": reason}) or 0.0

pytestmark = pytest.mark.django_db(transaction=True)


def assert_failed(reply: dict, correlation_id=None) -> None:
    expected = {
        "type": "auth_response",
        "status": "failed",
        "error_code": "INVALID_TOKEN",
        "error_message": reply.get("error_message"),
        "timestamp": reply.get("timestamp"),
    }
    if correlation_id is not None:
        expected["correlation_id"] = correlation_id
    assert reply == expected
    assert isinstance(reply["error_message"], str) and reply["error_message"]
    assert ISO_UTC.match(reply["timestamp"])


async def test_auth_success_has_the_seeds_fields(ws, trader):
    client = await ws()
    reply = await client.request({"type": "auth", "token": token_for(trader), "correlation_id": "c-1"})
    assert reply == {
        "type": "auth_response",
        "status": "authenticated",
        "account_id": trader.account.id,
        "message": "Successfully authenticated",
        "timestamp": reply["timestamp"],
        "correlation_id": "c-1",
    }
    assert ISO_UTC.match(reply["timestamp"])


@pytest.mark.parametrize("path", ["/v1/ws", "/ws"])
async def test_bearer_prefix_is_accepted_on_both_paths(ws, trader, path):
    client = await ws(path)
    reply = await client.request({"type": "auth", "token": "Bearer " + token_for(trader)})
    assert reply["status"] == "authenticated" and "correlation_id" not in reply


async def test_users_without_an_account_authenticate_with_a_null_account_id(ws, officer):
    client = await ws()
    reply = await client.request({"type": "auth", "token": token_for(officer)})
    assert reply["status"] == "authenticated" and reply["account_id"] is None


@pytest.mark.parametrize(
    "token",
    [None, "", "Bearer ", "not-a-jwt", "a.b.c", 123, 1.5, True, [], {"token": "x"}, "x" * 2000],
    ids=["null", "empty", "bare-bearer", "garbage", "three-parts", "int", "float", "bool", "list", "object", "long"],
)
async def test_garbage_tokens_fail_with_invalid_token(ws, token):
    client = await ws()
    reply = await client.request({"type": "auth", "token": token, "correlation_id": "bad"})
    assert_failed(reply, "bad")


async def test_missing_token_fails(ws):
    client = await ws()
    assert_failed(await client.request({"type": "auth"}))


async def test_expired_token_fails(ws, trader):
    token = AccessToken.for_user(trader)
    token.set_exp(lifetime=timedelta(seconds=-1))
    client = await ws()
    assert_failed(await client.request({"type": "auth", "token": str(token)}))


async def test_refresh_token_is_not_an_access_token(ws, trader):
    client = await ws()
    refresh = await sync_to_async(RefreshToken.for_user)(trader)  # records the token: a database write
    assert_failed(await client.request({"type": "auth", "token": str(refresh)}))


async def test_token_signed_with_another_key_fails(ws, trader):
    forged = AccessToken.for_user(trader)
    header, payload, _ = str(forged).split(".")
    client = await ws()
    assert_failed(await client.request({"type": "auth", "token": f"{header}.{payload}.c2lnbmF0dXJl"}))


async def test_token_of_a_disabled_user_fails(ws, trader):
    token = token_for(trader)
    await sync_to_async(user_deactivate)(user=trader)
    client = await ws()
    assert_failed(await client.request({"type": "auth", "token": token}))


async def test_token_of_a_deleted_user_fails(ws, trader):
    token = token_for(trader)

    def delete():
        trader.account.delete()
        trader.delete()

    await sync_to_async(delete)()
    client = await ws()
    assert_failed(await client.request({"type": "auth", "token": token}))


async def test_a_failed_auth_leaves_the_connection_open_for_another_try(ws, trader):
    client = await ws()
    counted = auth_failures("invalid_credentials")
    assert_failed(await client.request({"type": "auth", "token": "nope"}))
    assert auth_failures("invalid_credentials") == counted + 1
    reply = await client.request({"type": "auth", "token": token_for(trader)})
    assert reply["status"] == "authenticated"


async def test_no_auth_within_the_window_closes_with_auth_required(ws, settings):
    settings.CDX_WS_AUTH_TIMEOUT_S = 0.2
    counted = auth_failures("auth_timeout")
    client = await ws()
    error = await client.wait_for("error")
    details = assert_error(error, "AUTH_REQUIRED")
    assert details == {"reason": "auth_timeout", "closing": True}
    assert auth_failures("auth_timeout") == counted + 1
    assert await client.wait_closed() == CloseCode.AUTH


async def test_auth_in_time_cancels_the_auth_window(ws, settings, trader):
    settings.CDX_WS_AUTH_TIMEOUT_S = 0.2
    client = await ws()
    assert (await client.request({"type": "auth", "token": token_for(trader)}))["status"] == "authenticated"
    assert await client.nothing_more(0.4)


@pytest.mark.parametrize(
    "message",
    [
        {"type": "subscribe", "channel": "system_health"},
        {"type": "unsubscribe", "channel": "system_health"},
        {"type": "no_such_type"},
    ],
)
async def test_before_auth_only_auth_ping_and_pong_are_accepted(ws, message):
    client = await ws()
    details = assert_error(await client.request({**message, "correlation_id": "early"}), "AUTH_REQUIRED", "early")
    assert details == {"type": message["type"]}
    await client.send({"type": "pong"})  # accepted silently
    pong = await client.request({"type": "ping", "correlation_id": "p"})
    assert pong["type"] == "pong" and pong["correlation_id"] == "p"


def session_headers(user, origin: bytes = b"http://testserver") -> list[tuple[bytes, bytes]]:
    browser = Client()
    browser.force_login(user)
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    return [(b"cookie", cookie), (b"origin", origin), (b"host", b"testserver")]


async def test_a_logged_in_browser_is_authenticated_on_connect(ws, settings, trader):
    settings.CDX_WS_AUTH_TIMEOUT_S = 0.2
    client = await ws(headers=await sync_to_async(session_headers)(trader))
    reply = await client.request({"type": "subscribe", "channel": "orders", "correlation_id": "s"})
    assert reply["type"] == "subscription_response" and reply["account_id"] == trader.account.id
    assert await client.nothing_more(0.4)  # no auth window closing it


async def test_a_browser_session_may_still_send_a_token_of_the_same_user(ws, trader):
    client = await ws(headers=await sync_to_async(session_headers)(trader))
    reply = await client.request({"type": "auth", "token": token_for(trader)})
    assert reply["status"] == "authenticated"


async def test_a_browser_from_a_foreign_origin_is_refused(trader):
    headers = await sync_to_async(session_headers)(trader, b"https://evil.example")
    communicator = WebsocketCommunicator(application, "/v1/ws", headers=headers)
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_cookie_without_a_valid_session_needs_a_token(ws, settings):
    settings.CDX_WS_AUTH_TIMEOUT_S = 0.2
    client = await ws(headers=[(b"cookie", b"sessionid=forged"), (b"origin", b"http://testserver"), (b"host", b"testserver")])
    assert_error(await client.request({"type": "subscribe", "channel": "system_health"}), "AUTH_REQUIRED")
    assert await client.wait_closed() == CloseCode.AUTH


async def test_reauth_with_a_fresh_token_keeps_the_subscriptions(ws, trader):
    client = await ws()
    await client.request({"type": "auth", "token": token_for(trader, lifetime_s=60)})
    await client.request({"type": "subscribe", "channel": "orders"})
    reply = await client.request({"type": "auth", "token": token_for(trader), "correlation_id": "again"})
    assert reply["status"] == "authenticated" and reply["correlation_id"] == "again"
    details = assert_error(await client.request({"type": "subscribe", "channel": "orders"}), "ALREADY_SUBSCRIBED")
    assert details["channel"] == "orders"


async def test_reauth_as_another_user_is_refused_and_the_connection_stays(ws, trader, other_trader):
    client = await ws()
    await client.request({"type": "auth", "token": token_for(trader)})
    counted = auth_failures("user_mismatch")
    reply = await client.request({"type": "auth", "token": token_for(other_trader), "correlation_id": "swap"})
    assert assert_error(reply, "AUTH_FAILED", "swap") == {"reason": "user_mismatch"}
    assert auth_failures("user_mismatch") == counted + 1
    sub = await client.request({"type": "subscribe", "channel": "orders"})
    assert sub["account_id"] == trader.account.id


async def test_a_failed_reauth_keeps_the_earlier_authentication(ws, trader):
    client = await ws()
    await client.request({"type": "auth", "token": token_for(trader)})
    assert_failed(await client.request({"type": "auth", "token": "expired-or-garbage"}))
    assert (await client.request({"type": "subscribe", "channel": "orders"}))["status"] == "subscribed"


async def test_an_expiring_token_not_replaced_closes_the_connection(ws, settings, trader):
    settings.CDX_WS_PING_INTERVAL_S = 60
    client = await ws()
    counted = auth_failures("token_expired")
    await client.request({"type": "auth", "token": token_for(trader, lifetime_s=1)})
    error = await client.wait_for("error", timeout=3)
    assert assert_error(error, "AUTH_FAILED") == {"reason": "token_expired", "closing": True}
    assert auth_failures("token_expired") == counted + 1
    assert await client.wait_closed() == CloseCode.AUTH


async def test_a_replaced_token_does_not_expire_with_the_first(ws, settings, trader):
    settings.CDX_WS_PING_INTERVAL_S = 60
    client = await ws()
    # The first token's lifetime leaves room for both auth round trips on a loaded machine; the wait lasts until
    # just past its expiry, when its timer would have closed the socket had the second not replaced it.
    first_expires_by = time.time() + 3
    await client.request({"type": "auth", "token": token_for(trader, lifetime_s=3)})
    await client.request({"type": "auth", "token": token_for(trader)})
    assert await client.nothing_more(max(0.0, first_expires_by - time.time()) + 0.5)
    assert (await client.request({"type": "ping"}))["type"] == "pong"


async def test_a_disabled_user_loses_every_open_socket(ws, authed, trader, other_trader):
    first, second = await authed(trader), await authed(trader)
    bystander = await authed(other_trader)

    def disable():
        with transaction.atomic():
            user_deactivate(user=trader)

    await sync_to_async(disable)()
    for client in (first, second):
        error = await client.wait_for("error")
        assert assert_error(error, "CONNECTION_CLOSED") == {"reason": "user_disabled", "closing": True}
        assert await client.wait_closed() == CloseCode.DISABLED
    assert (await bystander.request({"type": "ping"}))["type"] == "pong"


async def test_a_rolled_back_disable_closes_nothing(ws, authed, trader):
    client = await authed(trader)

    def disable_then_fail():
        with transaction.atomic():
            user_deactivate(user=trader)
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError):
        await sync_to_async(disable_then_fail)()
    assert await client.nothing_more(0.3)
    assert (await client.request({"type": "ping"}))["type"] == "pong"


async def test_a_token_is_verified_once_for_many_sockets(ws, trader, monkeypatch):
    decoded = _decodes_counted(monkeypatch)
    token = token_for(trader)
    for _ in range(3):
        client = await ws()
        assert (await client.request({"type": "auth", "token": token}))["status"] == "authenticated"
    assert decoded == [token]


async def test_a_verified_token_is_refused_once_it_expires(ws, trader, monkeypatch):
    token = token_for(trader, lifetime_s=60)
    first = await ws()
    assert (await first.request({"type": "auth", "token": token}))["status"] == "authenticated"
    expires_at = AccessToken(token)["exp"]  # type: ignore[arg-type]  # simplejwt annotates the encoded token as Token
    monkeypatch.setattr(auth, "clock", lambda: expires_at + 1)
    second = await ws()
    assert_failed(await second.request({"type": "auth", "token": token}))


async def test_a_verified_token_of_a_user_disabled_since_fails(ws, trader):
    token = token_for(trader)
    first = await ws()
    assert (await first.request({"type": "auth", "token": token}))["status"] == "authenticated"
    await sync_to_async(user_deactivate)(user=trader)
    second = await ws()
    assert_failed(await second.request({"type": "auth", "token": token}))


async def test_tokens_are_verified_again_after_the_jwt_settings_change(ws, trader, settings, monkeypatch):
    decoded = _decodes_counted(monkeypatch)
    token = token_for(trader)
    first = await ws()
    assert (await first.request({"type": "auth", "token": token}))["status"] == "authenticated"
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "LEEWAY": 1}
    second = await ws()
    assert (await second.request({"type": "auth", "token": token}))["status"] == "authenticated"
    assert decoded == [token, token]


async def test_the_verified_tokens_are_bounded_and_the_oldest_is_verified_again(ws, trader, other_trader, monkeypatch):
    monkeypatch.setattr(auth, "VERIFIED_TOKENS_MAX", 1)
    decoded = _decodes_counted(monkeypatch)
    first, second = token_for(trader), token_for(other_trader)
    for token in (first, second, second, first):
        client = await ws()
        assert (await client.request({"type": "auth", "token": token}))["status"] == "authenticated"
    assert decoded == [first, second, first], "the second verification of `first` came after it was pushed out"
    assert len(auth._verified) == 1

def _decodes_counted(monkeypatch) -> list[str]:
    """The token texts simplejwt is asked to verify, in order."""
    decoded: list[str] = []
    decode = auth._token_decode

    def counting(text: str) -> tuple[int, float]:
        decoded.append(text)
        return decode(text)

    monkeypatch.setattr(auth, "_token_decode", counting)
    return decoded
