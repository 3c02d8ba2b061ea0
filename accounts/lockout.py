"""Login lockout (django-axes): too many failed logins lock the username and the client IP out.

Counted for POST /v1/auth/token and the admin login alike. Staff unlock with the admin (Axes, Access
attempts: delete the rows) or `manage.py axes_reset_username NAME` / `axes_reset_ip IP` / `axes_reset`.
"""

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model

from kernel.errors import TooManyRequests

ATTEMPT_USERNAME_CHARS = AccessAttempt._meta.get_field("username").max_length


class LoginLockoutBackend(AxesStandaloneBackend):
    """axes' lockout check, first of the authentication backends. A login with no request (server code,
    the test client's login) has no client to count or lock out and is left to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_username(request, credentials: dict | None) -> str | None:
    """The username failures are counted for (axes' default), cut to the width of axes' column: no
    user's is longer (Django allows 150 characters), and a longer one would fail to save, a 500."""
    source = credentials or getattr(request, "data", request.POST)
    username = source.get(get_user_model().USERNAME_FIELD)
    return username[:ATTEMPT_USERNAME_CHARS] if isinstance(username, str) else username


def lockout_error() -> TooManyRequests:
    """The REST answer to a locked-out login: every failure during the lockout starts it again."""
    retry_after_s = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return TooManyRequests(
        "TOO_MANY_ATTEMPTS",
        f"Too many failed logins for this user or address: locked for {retry_after_s} s, or until staff unlock it.",
        retry_after_s=retry_after_s,
    )
