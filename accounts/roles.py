"""The three kinds of user and what each may do; roles are Django groups."""

from django.contrib.auth.models import Group, Permission

TRADER = "trader"
COMPLIANCE = "compliance"
ADMIN = "admin"
ROLES = (TRADER, COMPLIANCE, ADMIN)
# Who works alerts and may follow any account: compliance officers, and administrators too.
OFFICER_ROLES = frozenset({COMPLIANCE, ADMIN})

GROUP_NAMES = {TRADER: "Traders", COMPLIANCE: "Compliance officers", ADMIN: "Administrators"}

# Model permissions ("app_label.codename") granted to each group. Administrators are superusers in
# the demo; the group still carries what a non-superuser administrator needs.
GROUP_PERMISSIONS: dict[str, list[str]] = {
    TRADER: [],
    COMPLIANCE: [
        "accounts.view_account",
        "auth.view_user",
    ],
    ADMIN: [
        "accounts.view_account",
        "accounts.change_account",
        "accounts.view_apikey",
        "accounts.change_apikey",
        "otp_totp.view_totpdevice",
        "otp_totp.add_totpdevice",
        "otp_totp.change_totpdevice",
        "otp_totp.delete_totpdevice",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
    ],
}


def extend_group_permissions(role: str, codenames: list[str]) -> None:
    """Domain apps add the permissions of their own models (called from their AppConfig.ready)."""
    GROUP_PERMISSIONS[role].extend(c for c in codenames if c not in GROUP_PERMISSIONS[role])


def role_groups_sync() -> None:
    """Each role's group holds exactly the permissions GROUP_PERMISSIONS names (those that exist). Runs after every
    migrate, and so after every flush of a test database: one read of the permissions, not one per name."""
    codenames = {dotted.split(".", 1)[1] for granted in GROUP_PERMISSIONS.values() for dotted in granted}
    existing = {
        f"{permission.content_type.app_label}.{permission.codename}": permission
        for permission in Permission.objects.select_related("content_type").filter(codename__in=codenames)
    }
    for role, name in GROUP_NAMES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([existing[dotted] for dotted in GROUP_PERMISSIONS[role] if dotted in existing])


def role_groups_sync_after_migrate(sender, **kwargs) -> None:
    from django.apps import apps as global_apps

    # post_migrate is sent once per app; the last one comes after every app's permissions exist.
    if sender is list(global_apps.get_app_configs())[-1]:
        role_groups_sync()


def user_roles(user) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    known = getattr(user, _KNOWN_ROLES, None)
    if known is not None:
        return known
    return roles_of(group_names={group.name for group in user.groups.all()}, is_superuser=user.is_superuser)


_KNOWN_ROLES = "_cdx_roles"


def roles_remember(user, *, group_names: set[str]) -> None:
    """The user's roles from group names read with the user (selectors.user_with_account): user_roles then
    reads nothing. Only for this user object, which lives as long as its request."""
    setattr(user, _KNOWN_ROLES, roles_of(group_names=group_names, is_superuser=user.is_superuser))


def roles_of(*, group_names: set[str], is_superuser: bool) -> frozenset[str]:
    roles = {role for role, name in GROUP_NAMES.items() if name in group_names}
    if is_superuser:
        roles.add(ADMIN)
    return frozenset(roles)


def user_is_officer(user) -> bool:
    return bool(user_roles(user) & OFFICER_ROLES)
