import dataclasses
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import Group, User  # the project keeps Django's user model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from streams.principals import KeyGrant
from streams.publishing import connections_close

from .models import Account, ApiKey, ApiKeyScope, KycStatus, KycTier
from .roles import ADMIN, COMPLIANCE, GROUP_NAMES, ROLES, TRADER
from .selectors import principals_get


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


# A key's last use is recorded at most this often: a bot's every request would otherwise be a write.
API_KEY_LAST_USED_RESOLUTION = timedelta(minutes=1)


def _secret_hash(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough: nobody can guess it from its hash, and
    # unlike a hash keyed with DJANGO_SECRET_KEY it survives a rotation of that key.
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(
    *, user, scopes: Iterable[str], label: str = "", expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new key and its text `<key id>.<secret>`: the only time the secret is known."""
    scopes = sorted(set(scopes))
    if not scopes or not set(scopes) <= set(ApiKeyScope.values):
        raise ValueError(f"scopes must be one or more of {', '.join(ApiKeyScope.values)}")
    secret = secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        user=user, label=label, scopes=scopes, secret_hash=_secret_hash(secret), expires_at=expires_at
    )
    return api_key, f"{api_key.id}.{secret}"


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """The key stops working at once: REST checks it on every request, and its open sockets close."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        connections_close(user_id=api_key.user_id, reason="api_key_revoked", api_key_id=api_key.id)
    return api_key


def api_keys_authenticate(*, keys: Iterable[str]) -> dict[str, ApiKey]:
    """The usable keys among the key texts (right secret, not revoked or expired, active user), by key
    text, with their users; records their use."""
    secrets_by_id: dict[str, list[tuple[str, str]]] = {}
    for key in keys:
        key_id, _, secret = key.partition(".")
        if secret:
            secrets_by_id.setdefault(key_id, []).append((key, secret))
    if not secrets_by_id:
        return {}
    now = timezone.now()
    candidates = (
        ApiKey.objects.select_related("user")
        .filter(pk__in=list(secrets_by_id), revoked_at__isnull=True, user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    )
    usable = {
        key: api_key
        for api_key in candidates
        for key, secret in secrets_by_id[api_key.id]
        if hmac.compare_digest(api_key.secret_hash, _secret_hash(secret))
    }
    stale = {k.id for k in usable.values() if k.last_used_at is None or k.last_used_at < now - API_KEY_LAST_USED_RESOLUTION}
    if stale:
        ApiKey.objects.filter(pk__in=stale).update(last_used_at=now)
    return usable


def api_key_grants_get(*, keys: Iterable[str]) -> dict[str, KeyGrant]:
    """What the WebSocket needs of usable keys that may read: the principal they act as, and their expiry."""
    usable = {key: k for key, k in api_keys_authenticate(keys=keys).items() if ApiKeyScope.READ in k.scopes}
    principals = principals_get(user_ids={k.user_id for k in usable.values()})
    return {
        key: KeyGrant(
            principal=dataclasses.replace(
                principals[api_key.user_id], api_key_id=api_key.id, scopes=frozenset(api_key.scopes)
            ),
            expires_at=api_key.expires_at.timestamp() if api_key.expires_at else None,
        )
        for key, api_key in usable.items()
        if api_key.user_id in principals
    }


def refresh_tokens_revoke(*, user) -> int:
    """Blacklist every refresh token of the user still outstanding (a password change ends every login)."""
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True, expires_at__gt=timezone.now())
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(revoked)


def totp_device_add(*, user, name: str = "authenticator") -> TOTPDevice:
    """The user's confirmed TOTP device of that name, made on first call; its `config_url` is the otpauth://
    URI an authenticator app reads. Whoever sees that URI can make the user's codes: hand it over privately."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, name=name, defaults={"confirmed": True})
    return device


def backup_codes_issue(*, user, count: int = 5) -> list[str]:
    """The user's unused single-use backup codes (django-otp's static device), topped up to `count`.

    A code is typed where the authenticator's code goes; each works once. For the first login of an
    officer or administrator before an authenticator app is set up, and for the demo users."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="backup", defaults={"confirmed": True})
    unused = list(device.token_set.values_list("token", flat=True))
    fresh = [StaticToken.random_token() for _ in range(max(0, count - len(unused)))]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=token) for token in fresh])
    return unused + fresh
