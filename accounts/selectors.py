from django.contrib.auth import get_user_model

from .identity import Principal
from .models import Account
from .roles import roles_of, user_roles

User = get_user_model()


def principal_for_user(*, user) -> Principal:
    account = Account.objects.filter(user=user).only("id").first()
    return Principal(
        user_id=user.pk,
        username=user.get_username(),
        account_id=account.id if account else None,
        roles=user_roles(user),
    )


def principal_get(*, user_id: int) -> Principal | None:
    """The active user's principal, or None when the user is gone or disabled.

    One query (user, account and groups joined, a row per group): every WebSocket auth runs it on
    the gateway's single ORM thread, where three queries per connection made a connection storm queue.
    """
    rows = list(
        User.objects.filter(pk=user_id, is_active=True).values_list(
            "pk", User.USERNAME_FIELD, "is_superuser", "account__id", "groups__name"
        )
    )
    if not rows:
        return None
    pk, username, is_superuser, account_id, _ = rows[0]
    group_names = {group for *_, group in rows if group is not None}
    return Principal(
        user_id=pk,
        username=username,
        account_id=account_id,
        roles=roles_of(group_names=group_names, is_superuser=is_superuser),
    )


def account_exists(*, account_id: str) -> bool:
    return Account.objects.filter(pk=account_id).exists()


def account_for_user(*, user) -> Account | None:
    return Account.objects.filter(user=user).first()
