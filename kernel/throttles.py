"""REST request rates: per IP for anonymous callers, per user for reads and for writes (order entry).

Counters live in the default cache: Redis when REDIS_URL is set, so a limit holds across every server
process; local memory otherwise. Rates are REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (see settings).
"""

import ipaddress
from types import SimpleNamespace

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, BaseThrottle, UserRateThrottle


class _LiveRates:
    """DRF copies the rates into the class when it is imported; read them per request instead, so a
    changed setting (a test's, a reload's) applies."""

    scope: str | None

    def get_rate(self) -> str | None:
        # The stubs type the rates as numbers; DRF's are "N/period" strings, one per scope (each class names one).
        rates: dict[str | None, str | None] = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]
        return rates[self.scope]


class AnonymousRateThrottle(_LiveRates, AnonRateThrottle):
    """Requests without a login, per IP (scope `anon`): the token endpoints and public pages."""


class ReadRateThrottle(_LiveRates, UserRateThrottle):
    """GET, HEAD and OPTIONS of a logged-in user, per user (scope `read`)."""

    scope = "read"

    def allow_request(self, request, view):
        if request.method not in SAFE_METHODS or not request.user.is_authenticated:
            return True
        return super().allow_request(request, view)


class WriteRateThrottle(_LiveRates, UserRateThrottle):
    """Order entry, cancels and every other change by a logged-in user, per user (scope `write`)."""

    scope = "write"

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS or not request.user.is_authenticated:
            return True
        return super().allow_request(request, view)


def write_throttle_take(*, user_id: int) -> float | None:
    """Count one change by this user that came another way than REST (an order over the WebSocket)
    against the same `write` rate and counter as REST's, so a client cannot pass the limit by mixing the
    two. None: allowed; else the seconds until one more would be."""
    throttle = WriteRateThrottle()
    caller = SimpleNamespace(method="POST", user=SimpleNamespace(pk=user_id, is_authenticated=True))
    if throttle.allow_request(caller, None):
        return None
    return throttle.wait() or 1.0


def client_ip(request) -> str | None:
    """The caller's IP as the throttles see it (REST_FRAMEWORK["NUM_PROXIES"] trusted proxies), for
    django-axes too, so login lockouts and rates count the same address. When that is no IP address (a
    proxy chain shorter than configured), the connecting address; None when neither is one (a socket)."""
    for candidate in (BaseThrottle().get_ident(request), request.META.get("REMOTE_ADDR")):
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None
