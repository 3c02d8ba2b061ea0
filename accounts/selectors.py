from collections.abc import Iterable

from django.contrib.auth import get_user_model

from kernel.errors import ServiceError
from streams.principals import Principal

from .models import Account, ApiKey
from .roles import OFFICER_ROLES, roles_of

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
    return Account.objects.filter(user=user).first()


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
