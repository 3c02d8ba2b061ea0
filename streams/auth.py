"""Who a connection belongs to: a JWT access token, or a logged-in browser's session."""

from dataclasses import dataclass

from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from .batching import Batcher
from .principals import Principal, principals_load

# Connections authenticating at the same moment share one query (see batching.py).
_principals: Batcher[int] = Batcher(principals_load)


@dataclass(frozen=True, slots=True)
class Authenticated:
    principal: Principal
    expires_at: float | None  # epoch seconds; None for a session (the session outlives the socket)


class AuthError(Exception):
    pass


BEARER = "Bearer "


async def authenticate_token(raw: object) -> Authenticated:
    if not isinstance(raw, str) or not raw:
        raise AuthError("Token is missing")
    token_text = raw[len(BEARER) :] if raw.startswith(BEARER) else raw
    try:
        token = AccessToken(token_text.strip())
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
