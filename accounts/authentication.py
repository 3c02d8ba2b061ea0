"""REST authentication with a bot's API key: `Authorization: ApiKey <key>` (what it may do: permissions.ApiKeyScope)."""

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

KEYWORD = "ApiKey"


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None  # another scheme (Bearer: a JWT), or none
        if len(parts) != 2:
            raise AuthenticationFailed("Send the key as 'Authorization: ApiKey <key>'.", code="invalid_api_key")
        # Imported here: DRF imports authentication classes while rest_framework.views loads, and the
        # services reach kernel.errors, which imports rest_framework.views.
        from .services import api_keys_authenticate

        key = parts[1].decode("latin-1")
        api_key = api_keys_authenticate(keys=[key]).get(key)
        if api_key is None:
            raise AuthenticationFailed("The API key is invalid, expired or revoked.", code="invalid_api_key")
        return api_key.user, api_key

    def authenticate_header(self, request):
        return KEYWORD
