"""REST authentication: a JWT (`Authorization: Bearer <access>`), or a bot's API key (`Authorization: ApiKey <key>`;
what it may do: permissions.ApiKeyScope)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

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
    """simplejwt's, telling a token that only expired (401 TOKEN_EXPIRED: refresh it) from a bad one (INVALID_TOKEN),
    and reading the user with its roles and trading account in one statement (selectors.user_with_account) instead
    of three (user, groups, account); the same checks, the same errors."""

    def get_validated_token(self, raw_token):
        try:
            return super().get_validated_token(raw_token)
        except InvalidToken:
            if not _expired(raw_token):
                raise
            from kernel.errors import TOKEN_EXPIRED_REASON  # here: kernel.errors imports rest_framework.views

            raise InvalidToken("Token is expired", code=TOKEN_EXPIRED_REASON) from None

    def get_user(self, validated_token):
        from .selectors import user_with_account  # imported here, as in ApiKeyAuthentication above

        try:
            user_id = validated_token[jwt_settings.USER_ID_CLAIM]
        except KeyError as e:
            raise InvalidToken(str(_("Token contained no recognizable user identification"))) from e
        try:
            user = user_with_account(user_id=int(user_id))
        except (TypeError, ValueError):  # not a user id at all
            user = None
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if jwt_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if jwt_settings.CHECK_REVOKE_TOKEN and validated_token.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
            user.password
        ):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        return user


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
