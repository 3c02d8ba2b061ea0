"""How the OpenAPI schema (drf-spectacular) describes the API key scheme (imported by AccountsConfig.ready)."""

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
