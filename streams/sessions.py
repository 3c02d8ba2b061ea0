"""A logged-in browser's user on a WebSocket, read from the Django session cookie once, on connect.

Channels' AuthMiddlewareStack does the same but wraps `send` for the life of the socket (to save a
session the socket never changes) and reads the session even when there is no cookie; on a
fan-out path that wrapper runs once per delivered event. This one passes `send` through untouched.
"""

from importlib import import_module
from types import SimpleNamespace

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.http import parse_cookie

from .principals import session_admitted


def session_key_of(scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            return parse_cookie(value.decode("latin1")).get(settings.SESSION_COOKIE_NAME) or None
    return None


def session_user(session_key: str):
    """The session's user (verified against its auth hash, as Django does for requests, and admitted by
    the owner of users: an officer's session needs its second factor), else anonymous."""
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]  # get_user reads only request.session
    return user if not user.is_authenticated or session_admitted(user, session) else AnonymousUser()


class SessionUserMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        session_key = session_key_of(scope)
        user = await database_sync_to_async(session_user)(session_key) if session_key else AnonymousUser()
        return await self.inner(dict(scope, user=user), receive, send)
