"""Credentials: a JWT pair kept fresh (refreshed before expiry, rotating refresh tokens), or an API key."""

import asyncio
import base64
import json
import time
from dataclasses import dataclass
from typing import Any

from .rest import ApiError, request

# Refresh once this share of the access token's lifetime has passed (15 min tokens: after 11 min 15 s).
REFRESH_AT_SHARE = 0.75
# Answers that refuse the credentials themselves (anything else, e.g. a 503, is worth another try later).
REFUSED = frozenset({400, 401, 403})


class AuthError(Exception):
    """The credentials were refused and cannot be renewed (wrong password, revoked key, expired refresh token)."""


@dataclass
class Tokens:
    access: str
    refresh: str | None = None


def token_times(access: str) -> tuple[float, float]:
    """(issued at, expires at) of a JWT, read without verifying it (the server does that)."""
    payload = access.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    expires = float(claims["exp"])
    return float(claims.get("iat", expires - 60)), expires


class JwtAuth:
    """A username and password (or a token pair): logs in, refreshes before expiry, logs in again when needed."""

    def __init__(self, base_url: str, *, username: str | None = None, password: str | None = None, tokens: Tokens | None = None):
        self.base_url = base_url
        self.username = username
        self.password = password
        self.tokens = tokens
        self.refreshes = 0
        self._stale = False
        self._lock = asyncio.Lock()

    def ws_auth(self) -> dict[str, Any]:
        assert self.tokens is not None
        return {"type": "auth", "token": self.tokens.access}

    async def authorization(self) -> str:
        await self.fresh()
        assert self.tokens is not None
        return f"Bearer {self.tokens.access}"

    def invalidate(self) -> None:
        """The server refused the access token (a clock apart, a restarted server): renew it before the next use."""
        self._stale = True

    def refresh_due_in(self) -> float | None:
        """Seconds until the access token should be replaced (None: no token yet)."""
        if self.tokens is None:
            return None
        if self._stale:
            return 0.0
        issued, expires = token_times(self.tokens.access)
        return issued + (expires - issued) * REFRESH_AT_SHARE - time.time()

    async def fresh(self) -> Tokens:
        """Tokens whose access part is not due for refresh: refreshed or logged in again as needed."""
        async with self._lock:
            due_in = self.refresh_due_in()
            if due_in is None or due_in <= 0:
                await self._renew()
                self._stale = False
            assert self.tokens is not None
            return self.tokens

    async def _renew(self) -> None:
        if self.tokens is not None and self.tokens.refresh:
            try:
                answer = await request(self.base_url, "POST", "/v1/auth/token/refresh", body={"refresh": self.tokens.refresh})
            except ApiError as error:
                if error.status not in REFUSED:
                    raise  # the server is in trouble for a moment: the connection loop tries again later
                if self.password is None:
                    raise AuthError(f"token refresh refused: {error}") from error
            else:
                # The refresh token rotates: the answer carries a new one and the old one is used up.
                self.tokens = Tokens(answer["access"], answer.get("refresh", self.tokens.refresh))
                self.refreshes += 1
                return
        if self.username is None or self.password is None:
            raise AuthError("the access token expired and there is no refresh token or password to renew it")
        try:
            answer = await request(self.base_url, "POST", "/v1/auth/token", body={"username": self.username, "password": self.password})
        except ApiError as error:
            if error.status not in REFUSED:
                raise
            raise AuthError(f"login refused: {error}") from error
        self.tokens = Tokens(answer["access"], answer["refresh"])


class ApiKeyAuth:
    """A bot's API key (`key_<16 hex>.<secret>`): no expiry to manage; the socket needs the `read` scope."""

    def __init__(self, api_key: str):
        self.api_key = api_key

    def ws_auth(self) -> dict[str, Any]:
        return {"type": "auth", "api_key": self.api_key}

    async def authorization(self) -> str:
        return f"ApiKey {self.api_key}"

    def invalidate(self) -> None:
        raise AuthError("the API key was refused (wrong, expired, revoked, or without the read scope)")

    def refresh_due_in(self) -> float | None:
        return None

    async def fresh(self) -> None:
        return None
