from decimal import Decimal

from django.conf import settings
from django.db import models

from kernel.ids import PublicIdField


class KycStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    EXPIRED = "expired"


class KycTier(models.TextChoices):
    TIER_0 = "tier_0"
    TIER_1 = "tier_1"
    TIER_2 = "tier_2"
    TIER_3 = "tier_3"


class Account(models.Model):
    """A trader's trading account: the `acc_` id every account stream and REST call names."""

    id = PublicIdField(prefix="acc")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="account")
    kyc_status = models.CharField(max_length=20, choices=KycStatus.choices, default=KycStatus.PENDING_REVIEW)
    kyc_tier = models.CharField(max_length=10, choices=KycTier.choices, default=KycTier.TIER_0)
    credit_line = models.DecimalField(max_digits=30, decimal_places=8, default=Decimal("0"))
    # Who ultimately owns the account (a person or entity reference); compliance links accounts with
    # the same owner, e.g. to find wash trades between them. Blank: no known link.
    beneficial_owner = models.CharField(max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.id} ({self.user.get_username()})"


class ApiKeyScope(models.TextChoices):
    READ = "read"  # read the account, orders and streams
    TRADE = "trade"  # place and cancel orders
    WITHDRAW = "withdraw"  # move funds off the venue


class ApiKey(models.Model):
    """A bot's credential: `<id>.<secret>`, shown once; only a hash of the secret is kept."""

    id = PublicIdField(prefix="key")  # the part of the key that names it: listed, revoked by
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    label = models.CharField(max_length=100, blank=True)
    scopes = models.JSONField(default=list)  # ApiKeyScope values
    secret_hash = models.CharField(max_length=64)  # SHA-256 hex of the secret
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.id} ({self.label or 'no label'})"
