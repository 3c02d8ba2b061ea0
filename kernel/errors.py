"""REST error shape shared by every endpoint: `{code, message, details}` JSON, whatever refused the request
(a service, a serializer, DRF's authentication, permissions and content negotiation, an unknown URL)."""

import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_simplejwt.exceptions import ExpiredTokenError

from .inputs import REST_PREFIX
from .json import dumps, plain
from .metrics import REST_RATE_LIMIT_HITS
from .numbers import InvalidDecimal, decimal_parse


class ServiceError(Exception):
    """A business rule refused the request; REST answers 400 (or `status_code`) with `code` and `message`."""

    status_code: int = status.HTTP_400_BAD_REQUEST

    def __init__(self, code: str, message: str, *, details: dict | None = None, status_code: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        if status_code is not None:
            self.status_code = status_code


class TooManyRequests(ServiceError):
    """429 with a Retry-After header: the client may try again in `retry_after_s` seconds."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, code: str, message: str, *, retry_after_s: int):
        super().__init__(code, message, details={"retry_after_s": retry_after_s})
        self.retry_after_s = retry_after_s


DATABASE_BUSY_RETRY_AFTER_S = 1


def database_busy(exc: BaseException) -> bool:
    """True for a request that waited its whole CDX_DB_POOL_TIMEOUT_S for a pooled database connection."""
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:  # SQLite-only installs: no pool
        return False
    return isinstance(exc, OperationalError) and isinstance(exc.__cause__, PoolTimeout)


# DRF's own refusals, by the WebSocket protocol's codes where they mean the same (AUTH_REQUIRED, AUTH_FAILED,
# INSUFFICIENT_PERMISSIONS). Tokens have their own (TOKEN_EXPIRED, INVALID_TOKEN): a client refreshes or signs in again.
API_EXCEPTION_CODES: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.NotAuthenticated, "AUTH_REQUIRED"),
    (exceptions.AuthenticationFailed, "AUTH_FAILED"),
    (exceptions.PermissionDenied, "INSUFFICIENT_PERMISSIONS"),
    (exceptions.NotFound, "NOT_FOUND"),
    (exceptions.MethodNotAllowed, "METHOD_NOT_ALLOWED"),
    (exceptions.NotAcceptable, "NOT_ACCEPTABLE"),
    (exceptions.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"),
]
# simplejwt's reasons (`code`) for refusing a token that was well formed enough to read.
TOKEN_REASONS = {"token_not_valid", "user_not_found", "user_inactive", "password_changed"}
TOKEN_EXPIRED_REASON = "token_expired"  # accounts.authentication.JwtAuthentication's


def envelope(code: str, message: str, details: dict | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details or {}}


def exception_handler(exc, context):
    if database_busy(exc):
        exc = ServiceError(
            "SERVICE_UNAVAILABLE",
            "The service is busy; retry shortly.",
            details={"reason": "database_busy", "retry_after_s": DATABASE_BUSY_RETRY_AFTER_S},
            status_code=503,
        )
        response = exception_handler(exc, context)
        response["Retry-After"] = str(DATABASE_BUSY_RETRY_AFTER_S)
        return response
    if isinstance(exc, exceptions.ParseError):
        exc = ServiceError("INVALID_REQUEST", str(exc.detail), details=getattr(exc, "details", None))
    if isinstance(exc, exceptions.Throttled):
        REST_RATE_LIMIT_HITS.inc()
        retry_after_s = max(math.ceil(getattr(exc, "wait", None) or 0), 1)
        message = f"Too many requests: retry in {retry_after_s} s."
        exc = TooManyRequests("RATE_LIMITED", message, retry_after_s=retry_after_s)
    if isinstance(exc, ServiceError):
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, TooManyRequests) else None
        return Response(envelope(exc.code, exc.message, exc.details), status=exc.status_code, headers=headers)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    # DRF's answer keeps its headers (WWW-Authenticate on 401); the view adds Allow to every answer.
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        # Per field in details.errors, as the WebSocket's VALIDATION_ERROR; also at the top, where it was first.
        response.data = {**envelope("VALIDATION_ERROR", "Invalid input.", {"errors": response.data}), "errors": response.data}
    else:
        response.data = envelope(*_code_and_message(exc), _details(exc, context))
    return response


def _message_and_reason(exc: exceptions.APIException) -> tuple[str, str]:
    """The refusal's text and its reason (`code`: "token_not_valid", ...; "" when none)."""
    detail = exc.detail
    if isinstance(detail, dict):  # simplejwt's {"detail", "code", "messages"}
        return str(detail.get("detail", "")), str(detail.get("code") or "")
    return str(detail), str(getattr(detail, "code", "") or "")


def _code_and_message(exc: exceptions.APIException) -> tuple[str, str]:
    message, reason = _message_and_reason(exc)
    if reason == TOKEN_EXPIRED_REASON:  # an access token (accounts.authentication.JwtAuthentication)
        return "TOKEN_EXPIRED", "The access token has expired: refresh it (POST /v1/auth/token/refresh) or sign in again."
    if isinstance(exc.__cause__, ExpiredTokenError):  # a refresh token, refused by simplejwt's token views
        return "TOKEN_EXPIRED", "The refresh token has expired: sign in again (POST /v1/auth/token)."
    if reason in TOKEN_REASONS:
        return "INVALID_TOKEN", message
    code = next((code for kind, code in API_EXCEPTION_CODES if isinstance(exc, kind)), None)
    return code or str(exc.default_code).upper(), message


def _details(exc: exceptions.APIException, context) -> dict[str, Any]:
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        reason = _message_and_reason(exc)[1]
        return {"reason": reason} if reason else {}
    if isinstance(exc, exceptions.MethodNotAllowed):
        view = context.get("view")
        return {"method": context["request"].method, "allowed": view.allowed_methods if view else []}
    if isinstance(exc, exceptions.UnsupportedMediaType):
        view = context.get("view")
        supported = [parser.media_type for parser in view.get_parsers()] if view else []
        return {"media_type": context["request"].content_type, "supported": supported}
    return {}


def _is_rest(request: HttpRequest) -> bool:
    return request.path_info.startswith(REST_PREFIX)


def _json(status_code: int, body: dict) -> HttpResponse:
    return HttpResponse(dumps(body), status=status_code, content_type="application/json")


def page_not_found(request: HttpRequest) -> HttpResponse:
    """The answer to any /v1 path no route takes (cantondex/urls.py's last route): NOT_FOUND in the envelope,
    with DEBUG on too. A route, not handler404: DEBUG's technical page would replace a handler, and nothing
    else under /v1 raises Http404 (DRF's views answer it through exception_handler)."""
    return _json(404, envelope("NOT_FOUND", f"Nothing is at {request.path}.", {"path": request.path}))


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an unexpected failure is INTERNAL_ERROR in the envelope for REST, Django's page elsewhere."""
    if not _is_rest(request):
        return defaults.server_error(request)
    return _json(500, envelope("INTERNAL_ERROR", "The server failed to answer this request; it has been logged."))


class MoneyField(serializers.DecimalField):
    """Exact money and quantities: read only in the one plain decimal spelling (kernel.numbers), parsed
    without float, written as plain JSON numbers (150.5, 100000)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 30)
        kwargs.setdefault("decimal_places", 8)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        # DecimalField reads "" and "  " as null; null has one spelling too.
        return serializers.Field.validate_empty_values(self, data)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(decimal_parse(data, field=self.field_name or "value"))
        except InvalidDecimal as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from None

    def to_representation(self, value):
        # COERCE_DECIMAL_TO_STRING is off, so DRF gives a Decimal; the stubs say str.
        return plain(super().to_representation(value))  # type: ignore[arg-type]


class TextField(serializers.CharField):
    """Text that must arrive as a JSON string, as the schema says (type string): DRF's CharField also takes a
    number and keeps it as text (0 becomes "0"), so a client's type mistake would pass unnoticed."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
