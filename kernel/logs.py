"""Log lines: request ids, the client's address, and static files kept quiet (docs/operations.md, Logs).

Every HTTP request has an id: the client's or proxy's `X-Request-ID` when it is a plausible one (1-128 of
letters, digits and `._:-`), else a new one. It is put where django-structlog's RequestMiddleware, which runs
next, takes it from, so each log line written while the request is served carries it as `request_id`; and the
response echoes it in `X-Request-ID`, so a client can quote it.
"""

import logging
import re
import uuid
from collections.abc import Callable

import structlog
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import sync_and_async_middleware

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_META = "HTTP_X_REQUEST_ID"
_PLAUSIBLE = re.compile(r"[A-Za-z0-9._:-]{1,128}")

def request_id_of(request: HttpRequest) -> str:
    """The request's id: the one it came with if plausible (the header may be forged: never trusted for more)."""
    given = request.META.get(_REQUEST_ID_META, "")
    return given if _PLAUSIBLE.fullmatch(given) else uuid.uuid4().hex

@sync_and_async_middleware
def request_id_middleware(get_response: Callable) -> Callable:
    """First of all middleware, so even a redirect to HTTPS carries the id."""

    def assign(request: HttpRequest) -> str:
        # Read before anything builds request.headers from META, so django-structlog sees the checked id.
        request_id = request.META[_REQUEST_ID_META] = request_id_of(request)
        return request_id

    if iscoroutinefunction(get_response):

        async def middleware_async(request: HttpRequest) -> HttpResponse:
            request_id = assign(request)
            response = await get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            return response

        return middleware_async

    def middleware(request: HttpRequest) -> HttpResponse:
        request_id = assign(request)
        response = get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response

    return middleware


def client_ip_bind(*, request: HttpRequest, **_: object) -> None:
    """django-structlog's bind_extra_request_metadata receiver: the client's address as rates and lockouts see it
    (CDX_TRUSTED_PROXIES), not whatever X-Forwarded-For claims."""
    from .throttles import client_ip

    structlog.contextvars.bind_contextvars(client_ip=client_ip(request))


class StaticFilesQuiet(logging.Filter):
    """A page load fetches dozens of static files (200s and 304s): served, they are not worth a line each."""

    def filter(self, record: logging.LogRecord) -> bool:
        event = record.msg
        if record.levelno > logging.INFO or not isinstance(event, dict):
            return True
        path = str(event.get("request", "")).partition(" ")[2]
        return not path.startswith("/" + settings.STATIC_URL.lstrip("/"))
