"""How the OpenAPI schema (drf-spectacular) describes the API key scheme (imported by AccountsConfig.ready)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .authentication import KEYWORD


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"A bot's scoped key: `{KEYWORD} <key>` (read, trade, withdraw).",
        }


class JwtAuthenticationScheme(SimpleJWTScheme):
    """Our subclass of simplejwt's authentication, described as simplejwt's (Bearer JWT)."""

    target_class = "accounts.authentication.JwtAuthentication"
