from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from accounts.models import Account, KycStatus, KycTier
from kernel.ids import PublicIdField

MONEY = {"max_digits": 30, "decimal_places": 8}


class Severity(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class AlertType(models.TextChoices):
    """What an alert is about; also the `activity_type` of its suspicious_activity_detected event."""

    UNUSUAL_TRADING_PATTERN = "unusual_trading_pattern"
    LARGE_TRANSACTION = "large_transaction"
    STRUCTURING = "structuring"
    WASH_TRADING = "wash_trading"


class AlertStatus(models.TextChoices):
    OPEN = "open"
    INVESTIGATING = "investigating"
    ESCALATED = "escalated"
    CLOSED = "closed"


class Disposition(models.TextChoices):
    FALSE_POSITIVE = "false_positive"
    CONFIRMED_RISK = "confirmed_risk"
    SAR_FILED = "sar_filed", "SAR filed"


class RuleKind(models.TextChoices):
    VELOCITY = "velocity"
    LARGE_TRANSACTION = "large_transaction"
    STRUCTURING = "structuring"
    WASH_TRADING = "wash_trading"
    SELF_TRADE_ATTEMPTS = "self_trade_attempts"


KNOWN_PARAMETERS = {
    RuleKind.VELOCITY: ("baseline_multiplier", "baseline_days", "baseline_min_orders"),
    RuleKind.STRUCTURING: ("band",),
}


class SurveillanceRule(models.Model):
    """One surveillance rule, stored as data so compliance can tune it in the admin.

    `threshold` means, per kind: velocity, orders in the window; large_transaction, the USDC notional
    (empty: settings.CDX_LARGE_TRANSACTION_THRESHOLD); structuring, how many transactions just under the
    large-transaction threshold; wash_trading, trades between accounts of one owner; self_trade_attempts,
    orders the engine refused or cancelled for matching the account's own orders.
    """

    code = models.SlugField(primary_key=True, max_length=50)
    kind = models.CharField(max_length=30, choices=RuleKind.choices)
    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    threshold = models.DecimalField(**MONEY, null=True, blank=True)
    window_seconds = models.PositiveIntegerField(help_text="Activity counted, and alerts deduplicated, over this window.")
    parameters = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            'velocity: {"baseline_multiplier": 10, "baseline_days": 7, "baseline_min_orders": 20} also fires when '
            'the window holds that many times the account\'s usual orders per window; structuring: '
            '{"band": "0.9"} counts amounts from band x threshold up to the threshold.'
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.kind != RuleKind.LARGE_TRANSACTION and self.threshold is None:
            raise ValidationError({"threshold": "This rule needs a threshold."})
        if self.threshold is not None and self.threshold <= 0:
            raise ValidationError({"threshold": "The threshold must be positive."})
        if self.window_seconds <= 0:
            raise ValidationError({"window_seconds": "The window must be at least one second."})
        if not isinstance(self.parameters, dict):
            raise ValidationError({"parameters": "Parameters must be a JSON object."})
        for name, value in self.parameters.items():
            if name not in KNOWN_PARAMETERS.get(self.kind, ()):
                raise ValidationError({"parameters": f"{self.kind} rules take no parameter {name!r}."})
            try:
                number = Decimal(str(value))
            except ArithmeticError:
                number = None
            if isinstance(value, bool) or number is None or not number.is_finite() or number <= 0:
                raise ValidationError({"parameters": f"{name} must be a positive number."})
        if self.kind == RuleKind.STRUCTURING and Decimal(str(self.parameters.get("band", "0.9"))) >= 1:
            raise ValidationError({"parameters": "band is a fraction of the threshold, below 1."})

    def large_threshold(self) -> Decimal:
        return self.threshold if self.threshold is not None else settings.CDX_LARGE_TRANSACTION_THRESHOLD


class SeveritySla(models.Model):
    """How long an alert of a severity may stay unresolved: its due time is raised_at + hours."""

    severity = models.CharField(primary_key=True, max_length=10, choices=Severity.choices)
    hours = models.PositiveIntegerField()

    class Meta:
        verbose_name = "severity SLA"
        verbose_name_plural = "severity SLAs"

    def __str__(self) -> str:
        return f"{self.severity}: {self.hours} h"


class Alert(models.Model):
    id = PublicIdField(prefix="alr")
    alert_type = models.CharField("type", max_length=30, choices=AlertType.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="alerts")
    rule = models.ForeignKey(SurveillanceRule, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts")
    description = models.TextField()
    facts = models.JSONField(default=dict, blank=True, help_text="What the rule saw when it fired.")
    event_id = models.CharField(max_length=32, blank=True, help_text="The evt_ id of the event that announced it.")
    status = models.CharField(max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="compliance_alerts"
    )
    raised_at = models.DateTimeField(db_index=True)
    due_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["rule", "account", "status", "raised_at"], name="alert_dedup_idx")]

    def __str__(self) -> str:
        return self.id


class AlertNote(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on {self.alert_id}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit trail is append-only.")

    def delete(self):
        raise TypeError("The audit trail is append-only.")


class AlertAuditEntry(models.Model):
    """One change of an alert: who, when, what, before and after. Rows are only ever added."""

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="audit_trail")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Empty: the surveillance system.",
    )
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=30)  # raised, status, assignee, disposition, note
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "alert audit entries"

    def __str__(self) -> str:
        return f"{self.alert_id} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit trail is append-only.")


class KycChange(models.Model):
    """Every KYC decision on an account. Adding one (through the KYC service) is how KYC changes."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="kyc_changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    previous_status = models.CharField(max_length=20, choices=KycStatus.choices)
    previous_tier = models.CharField(max_length=10, choices=KycTier.choices)
    new_status = models.CharField(max_length=20, choices=KycStatus.choices)
    new_tier = models.CharField(max_length=10, choices=KycTier.choices)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "KYC change"

    def __str__(self) -> str:
        return f"{self.account_id}: {self.previous_status} -> {self.new_status} ({self.new_tier})"


class KycTierLimit(models.Model):
    """What a KYC tier may do. Empty limit: no cap (tier_3 per the contract)."""

    tier = models.CharField(primary_key=True, max_length=10, choices=KycTier.choices)
    daily_withdrawal_limit = models.DecimalField(
        **MONEY, null=True, blank=True,
        help_text="Per currency, in units of that currency, over the last 24 hours. Empty: no cap.",
    )

    class Meta:
        ordering = ["tier"]
        verbose_name = "KYC tier limit"

    def __str__(self) -> str:
        return self.tier


class SurveillanceTask(models.Model):
    """A check surveillance owes: written in the transaction of the trading change that calls for it,
    deleted in the transaction that ran it, so a crash in between loses no check (compliance.surveillance)."""

    kind = models.CharField(max_length=20)
    subject_id = models.CharField(max_length=32, help_text="The account, trade, deposit or withdrawal to look at.")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_id}"
