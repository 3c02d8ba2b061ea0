"""REST error shape shared by every endpoint."""

import math
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .json import plain
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
        body: dict[str, Any] = {"code": exc.code, "message": exc.message}
        if exc.details:
            body["details"] = exc.details
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, TooManyRequests) else None
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = {"code": "VALIDATION_ERROR", "message": "Invalid input.", "errors": response.data}
    return response


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
