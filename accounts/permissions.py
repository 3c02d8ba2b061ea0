from rest_framework.permissions import BasePermission

from .roles import ADMIN, OFFICER_ROLES, TRADER, user_roles


class _HasRole(BasePermission):
    roles: frozenset[str] = frozenset()
    message = "Your role does not allow this."

    def has_permission(self, request, view):
        return bool(user_roles(request.user) & self.roles)


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
