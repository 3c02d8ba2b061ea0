from django.contrib.auth import get_user_model

from .identity import Principal
from .models import Account
from .roles import user_roles

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
    """The active user's principal, or None when the user is gone or disabled."""
    user = User.objects.filter(pk=user_id, is_active=True).prefetch_related("groups").first()
    return principal_for_user(user=user) if user else None


def account_exists(*, account_id: str) -> bool:
    return Account.objects.filter(pk=account_id).exists()


def account_for_user(*, user) -> Account | None:
    return Account.objects.filter(user=user).first()
