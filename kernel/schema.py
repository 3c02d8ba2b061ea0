"""The OpenAPI document (drf-spectacular) states every answer a call can get, its errors included.

AutoSchema is every view's schema (settings DEFAULT_SCHEMA_CLASS), so a new view is described the same way
without saying anything: the error statuses follow from what the operation is (a body, parameters, a login,
a change), each answered in the `Error` component, the envelope kernel.errors writes. A view names an error
only the operation itself can tell, e.g. `extend_schema(responses={200: X, 409: ERROR})` for a read that
may find the state not ready.
"""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework_simplejwt.views import TokenViewBase

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorSerializer(serializers.Serializer):
    """The error envelope (kernel.errors): every refusal, whatever its status."""

    class Meta:
        ref_name = "Error"

    def get_fields(self):
        # Here, not as attributes: a field named `errors` would hide Serializer.errors.
        return {
            "code": serializers.CharField(help_text="Stable, for programs: INSUFFICIENT_FUNDS, AUTH_REQUIRED, ..."),
            "message": serializers.CharField(help_text="For people"),
            "details": serializers.DictField(help_text="What the code needs said (a field, a limit, ...); {} when nothing"),
            "errors": serializers.DictField(
                required=False, help_text="VALIDATION_ERROR only: the reasons per field, as in details.errors"
            ),
        }


ERROR = OpenApiResponse(ErrorSerializer, description="Refused: see `code`")

_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again"}}
_WWW_AUTHENTICATE = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "The scheme to authenticate with"}}
ERROR_DESCRIPTIONS = {
    "400": "VALIDATION_ERROR (details.errors per field), INVALID_REQUEST (malformed JSON or an unusable string), "
    "or a business rule (INSUFFICIENT_FUNDS, ...)",
    "401": "AUTH_REQUIRED, AUTH_FAILED, INVALID_TOKEN or TOKEN_EXPIRED",
    "403": "INSUFFICIENT_PERMISSIONS (the role), INSUFFICIENT_SCOPE or API_KEY_NOT_ALLOWED (an API key), or a domain rule",
    "404": "NOT_FOUND, or an unknown or foreign id (ORDER_NOT_FOUND, ...), or NO_ACCOUNT",
    "409": "The state forbids the change (ORDER_NOT_OPEN, ...)",
    "415": "UNSUPPORTED_MEDIA_TYPE: send application/json",
    "429": "RATE_LIMITED or TOO_MANY_ATTEMPTS",
    "503": "SERVICE_UNAVAILABLE: in maintenance, down, or busy",
}
ERROR_HEADERS = {"401": _WWW_AUTHENTICATE, "429": _RETRY_AFTER, "503": _RETRY_AFTER}


class AutoSchema(openapi.AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and not field.allow_blank
            and schema.get("type") == "string"
            and "minLength" not in schema
        ):
            schema["minLength"] = 1  # DRF refuses "" unless allow_blank (drf-spectacular does not say so)
        return schema

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        declared = self.get_response_serializers()
        if self.method == "DELETE" and declared is not None and not isinstance(declared, dict):
            # A DELETE answers the body its view names, 200 (drf-spectacular assumes 204 and no body).
            return {"200": self._get_response_for_code(declared, "200", direction=direction)}
        return super()._get_response_bodies(direction)

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for status in self._error_statuses(operation):
            if status not in responses:
                responses[status] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[status]), status
                )
                if status in ERROR_HEADERS:
                    responses[status]["headers"] = ERROR_HEADERS[status]
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_statuses(self, operation: dict[str, Any]) -> list[str]:
        """The errors this operation can answer, from what it is."""
        locations = {parameter["in"] for parameter in operation.get("parameters", [])}
        has_body = "requestBody" in operation
        security = operation.get("security", [])
        token_view = isinstance(self.view, TokenViewBase)  # credentials in the body: 401, no login needed
        needs_login = bool(security) and {} not in security
        statuses = {"503"}  # maintenance, a service down, or every database connection busy
        if has_body or locations:  # path and query strings are checked too (kernel.inputs)
            statuses.add("400")
        if any(security) or token_view:
            statuses.add("401")
        if needs_login:
            statuses |= {"403", "404"}  # a role or key scope; no trading account (NO_ACCOUNT)
        if "path" in locations:
            statuses.add("404")
        if needs_login and self.method in UNSAFE_METHODS:
            statuses.add("409")
        if has_body:
            statuses.add("415")
        if self.view.get_throttles() or token_view:
            statuses.add("429")
        return sorted(statuses)
