"""REST authentication: a JWT (`Authorization: Bearer <access>`), or a bot's API key (`Authorization: ApiKey <key>`;
what it may do: permissions.ApiKeyScope)."""

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings

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


class JwtAuthentication(JWTAuthentication):
    """simplejwt's, telling a token that only expired (401 TOKEN_EXPIRED: refresh it) from a bad one (INVALID_TOKEN)."""

    def get_validated_token(self, raw_token):
        try:
            return super().get_validated_token(raw_token)
        except InvalidToken:
            if not _expired(raw_token):
                raise
            from kernel.errors import TOKEN_EXPIRED_REASON  # here: kernel.errors imports rest_framework.views

            raise InvalidToken("Token is expired", code=TOKEN_EXPIRED_REASON) from None


def _expired(raw_token: bytes) -> bool:
    """Signed by us and past its `exp` (simplejwt checks the signature before the expiry)."""
    for token_class in jwt_settings.AUTH_TOKEN_CLASSES:
        try:
            token_class(raw_token)
        except ExpiredTokenError:
            return True
        except TokenError:
            continue
    return False
