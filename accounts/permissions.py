from rest_framework.permissions import BasePermission

from .models import ApiKey, ApiKeyScope
from .roles import ADMIN, OFFICER_ROLES, TRADER, user_roles

READ_ONLY = {"GET": ApiKeyScope.READ, "HEAD": ApiKeyScope.READ, "OPTIONS": ApiKeyScope.READ}


class HasApiKeyScope(BasePermission):
    """What a request made with an API key may do; a password's JWT or session keeps the user's full rights.

    A view names the scope each HTTP method needs in `api_key_scopes` (`{"POST": ApiKeyScope.TRADE}`); a view
    that names none lets keys only read. A method the view does not name is closed to keys, so a new
    view is safe by default. It runs by default (settings) and in every role check below.
    """

    def has_permission(self, request, view):
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True
        needed = getattr(view, "api_key_scopes", READ_ONLY).get(request.method)
        if needed is None:
            _refuse("API_KEY_NOT_ALLOWED", "API keys cannot make this call: sign in with a password.", api_key_id=api_key.id)
        if needed not in api_key.scopes:
            _refuse(
                "INSUFFICIENT_SCOPE",
                f"This API key lacks the '{needed}' scope.",
                required_scope=needed,
                scopes=api_key.scopes,
                api_key_id=api_key.id,
            )
        return True


def _refuse(code: str, message: str, **details) -> None:
    # Imported here: DRF imports the default permission classes while rest_framework.views loads, and
    # kernel.errors imports rest_framework.views.
    from kernel.errors import ServiceError

    raise ServiceError(code, message, details=details, status_code=403)


class _HasRole(BasePermission):
    roles: frozenset[str] = frozenset()
    message = "Your role does not allow this."

    def has_permission(self, request, view):
        return HasApiKeyScope().has_permission(request, view) and bool(user_roles(request.user) & self.roles)


class IsTrader(_HasRole):
    roles = frozenset({TRADER})
    message = "Only traders may do this."


class IsComplianceOfficer(_HasRole):
    roles = OFFICER_ROLES
    message = "Only compliance officers may do this."


class IsStaffRole(_HasRole):
    """Administrators (staff in the contract's words)."""

    roles = frozenset({ADMIN})
    message = "Only administrators may do this."
