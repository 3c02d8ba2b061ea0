from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from .models import Account, KycStatus, KycTier
from .roles import ADMIN, COMPLIANCE, GROUP_NAMES, ROLES, TRADER

User = get_user_model()


@transaction.atomic
def user_create(*, username: str, password: str, role: str = TRADER, email: str = "") -> User:
    """A user with one role; traders also get their trading account."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    user = User.objects.create_user(
        username=username,
        password=password,
        email=email,
        is_staff=role in (COMPLIANCE, ADMIN),
        is_superuser=role == ADMIN,
    )
    group, _ = Group.objects.get_or_create(name=GROUP_NAMES[role])
    user.groups.add(group)
    if role == TRADER:
        account_create(user=user)
    return user


def account_create(
    *, user, kyc_status: str = KycStatus.PENDING_REVIEW, kyc_tier: str = KycTier.TIER_0
) -> Account:
    return Account.objects.create(user=user, kyc_status=kyc_status, kyc_tier=kyc_tier)


def user_deactivate(*, user) -> None:
    """Disable a user; the signal on the change closes their open sockets once this commits."""
    user.is_active = False
    user.save(update_fields=["is_active"])
