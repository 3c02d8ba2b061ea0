"""Who a connection belongs to: a JWT access token, a bot's API key, or a logged-in browser's session."""

import time
from dataclasses import dataclass

from django.core.signals import setting_changed
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.tokens import AccessToken

from .batching import Batcher
from .principals import Principal, api_keys_load, principals_load

# Connections authenticating at the same moment share one query (see batching.py).
_principals: Batcher[int] = Batcher(principals_load)
_api_keys: Batcher[str] = Batcher(api_keys_load)


@dataclass(frozen=True, slots=True)
class Authenticated:
    principal: Principal
    expires_at: float | None  # epoch seconds; None for a session (the session outlives the socket)


class AuthError(Exception):
    pass


BEARER = "Bearer "


async def authenticate_message(message: dict) -> Authenticated:
    """An `auth` message carries a JWT in `token` or a bot's API key in `api_key`."""
    if "api_key" in message:
        return await authenticate_api_key(message["api_key"])
    return await authenticate_token(message.get("token"))


async def authenticate_api_key(raw: object) -> Authenticated:
    if not isinstance(raw, str) or not raw.strip():
        raise AuthError("API key is missing")
    grant = await _api_keys.get(raw.strip())
    if grant is None:
        raise AuthError("API key is invalid, expired or revoked, or lacks the read scope")
    return Authenticated(grant.principal, grant.expires_at)


async def authenticate_token(raw: object) -> Authenticated:
    if not isinstance(raw, str) or not raw:
        raise AuthError("Token is missing")
    token_text = raw[len(BEARER) :] if raw.startswith(BEARER) else raw
    user_id, expires_at = _token_verify(token_text.strip())
    principal = await _principals.get(user_id)  # read every time: a disabled user is refused at once
    if principal is None:
        raise AuthError("Token is invalid or expired")
    return Authenticated(principal, expires_at)


# Access tokens verified already, by their text: (user id, exp). Everything simplejwt checks but the
# expiry (signature, algorithm, type, id) is fixed by the text, so a token is verified once and then
# only its expiry is checked again: a client opening many sockets, or reconnecting, with one token
# costs one signature check. Bounded; the oldest entry goes first.
VERIFIED_TOKENS_MAX = 10_000
_verified: dict[str, tuple[int, float]] = {}
clock = time.time  # epoch seconds; the tests move it


def _token_verify(text: str) -> tuple[int, float]:
    known = _verified.get(text)
    if known is None:
        known = _verified[text] = _token_decode(text)
        if len(_verified) > VERIFIED_TOKENS_MAX:
            del _verified[next(iter(_verified))]
    # As simplejwt's check_exp: expired once exp <= now - leeway.
    if known[1] <= clock() - token_backend.get_leeway().total_seconds():
        del _verified[text]
        raise AuthError("Token is invalid or expired")
    return known


def _token_decode(text: str) -> tuple[int, float]:
    try:
        token = AccessToken(text)  # type: ignore[arg-type]  # simplejwt annotates the encoded token as Token
        return int(token.get(api_settings.USER_ID_CLAIM)), float(token["exp"])
    except TokenError as exc:
        raise AuthError("Token is invalid or expired") from exc
    except (TypeError, ValueError):
        raise AuthError("Token is invalid or expired") from None


def _verified_forget(*, setting: str, **kwargs) -> None:
    if setting in ("SIMPLE_JWT", "SECRET_KEY"):  # another key or other rules: verify again (tests change them)
        _verified.clear()


setting_changed.connect(_verified_forget, dispatch_uid="streams.auth.verified_forget")


async def authenticate_session(user) -> Authenticated | None:
    if user is None or not user.is_authenticated:
        return None
    principal = await _principals.get(user.pk)
    return Authenticated(principal, None) if principal else None
