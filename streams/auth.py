"""Who a connection belongs to: a JWT access token, a bot's API key, or a logged-in browser's session."""

from dataclasses import dataclass

from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
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
    try:
        token = AccessToken(token_text.strip())  # type: ignore[arg-type]  # simplejwt annotates the encoded token as Token
    except TokenError as exc:
        raise AuthError("Token is invalid or expired") from exc
    try:
        user_id = int(token.get(api_settings.USER_ID_CLAIM))
    except (TypeError, ValueError):
        raise AuthError("Token is invalid or expired") from None
    principal = await _principals.get(user_id)
    if principal is None:
        raise AuthError("Token is invalid or expired")
    return Authenticated(principal, float(token["exp"]))


async def authenticate_session(user) -> Authenticated | None:
    if user is None or not user.is_authenticated:
        return None
    principal = await _principals.get(user.pk)
    return Authenticated(principal, None) if principal else None
