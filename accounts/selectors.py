from collections.abc import Iterable
from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS

from kernel.errors import ServiceError
from kernel.sql import PreparedQuery
from streams.principals import Principal

from .models import Account, ApiKey
from .roles import OFFICER_ROLES, roles_of, roles_remember

User = get_user_model()


def principals_get(*, user_ids: Iterable[int]) -> dict[int, Principal]:
    """The principals of the active users among `user_ids`, by user id, in one query.

    User, account and groups are joined (a row per group): every WebSocket auth needs a principal,
    and the gateway reads them on its single ORM thread, many at once in a connection storm.
    """
    users: dict[int, tuple[str, bool, str | None]] = {}
    groups: dict[int, set[str]] = {}
    rows = User.objects.filter(pk__in=list(user_ids), is_active=True).values_list(
        "pk", User.USERNAME_FIELD, "is_superuser", "account__id", "groups__name"
    )
    for pk, username, is_superuser, account_id, group in rows:
        users[pk] = (username, is_superuser, account_id)
        if group is not None:
            groups.setdefault(pk, set()).add(group)
    return {
        pk: Principal(
            user_id=pk,
            username=username,
            account_id=account_id,
            sees_every_account=bool(
                roles_of(group_names=groups.get(pk, set()), is_superuser=is_superuser) & OFFICER_ROLES
            ),
        )
        for pk, (username, is_superuser, account_id) in users.items()
    }


def account_exists(*, account_id: str) -> bool:
    return Account.objects.filter(pk=account_id).exists()


def account_for_user(*, user) -> Account | None:
    if _USER_ACCOUNT.is_cached(user):  # read with the user (user_with_account)
        return cast(Account | None, _USER_ACCOUNT.get_cached_value(user))
    return Account.objects.filter(user=user).first()


def user_with_account(*, user_id: int) -> AbstractBaseUser | None:
    """The user, its trading account (account_for_user then reads nothing) and its roles (roles.user_roles
    reads nothing either), in one statement: every REST call with a JWT needs all three."""
    rows = _USER_WITH_ACCOUNT.rows(user_id=user_id)
    if not rows:
        return None
    user_values, account_values = rows[0][: len(_USER_FIELDS)], rows[0][len(_USER_FIELDS) : -1]
    user = User.from_db(DEFAULT_DB_ALIAS, _USER_FIELDS, user_values)
    account = None if account_values[0] is None else Account.from_db(DEFAULT_DB_ALIAS, _ACCOUNT_FIELDS, account_values)
    _USER_ACCOUNT.set_cached_value(user, account)
    roles_remember(user, group_names={row[-1] for row in rows if row[-1] is not None})
    return user


_USER_ACCOUNT = User.account.related  # the reverse one-to-one: its cache on a user object
_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
_ACCOUNT_FIELDS = [field.attname for field in Account._meta.concrete_fields]
# A row per group (none: one row); compiled once (kernel.sql).
_USER_WITH_ACCOUNT = PreparedQuery(
    lambda user_id: User.objects.filter(pk=user_id)
    .order_by()
    .values_list(*_USER_FIELDS, *[f"account__{name}" for name in _ACCOUNT_FIELDS], "groups__name")
)


def account_of_trader(*, user) -> Account:
    """The caller's trading account, or NO_ACCOUNT (404) for a user who has none."""
    account = account_for_user(user=user)
    if account is None:
        raise ServiceError("NO_ACCOUNT", "This user has no trading account.", status_code=404)
    return account


def api_key_list(*, user) -> list[ApiKey]:
    return list(ApiKey.objects.filter(user=user))


def api_key_of_user(*, user, api_key_id: str) -> ApiKey:
    """One of the user's own keys, or NOT_FOUND (404): another user's key is as good as none."""
    api_key = ApiKey.objects.filter(user=user, pk=api_key_id).first()
    if api_key is None:
        raise ServiceError("API_KEY_NOT_FOUND", "No such API key.", details={"api_key_id": api_key_id}, status_code=404)
    return api_key
