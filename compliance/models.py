from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history import register
from simple_history.models import HistoricalRecords

from accounts.models import Account, KycStatus, KycTier
from kernel.ids import PublicIdField
from trading.money import MONEY


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
    SPOOFING = "spoofing"
    LAYERING = "layering"


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
    SPOOFING = "spoofing"
    LAYERING = "layering"


KNOWN_PARAMETERS: dict[str, tuple[str, ...]] = {
    RuleKind.VELOCITY: ("baseline_multiplier", "baseline_days", "baseline_min_orders"),
    RuleKind.STRUCTURING: ("band",),
    RuleKind.SPOOFING: ("cancel_ratio",),
}


class SurveillanceRule(models.Model):
    """One surveillance rule, stored as data so compliance can tune it in the admin.

    `threshold` means, per kind: velocity, orders in the window; large_transaction, the USDC notional
    (empty: settings.CDX_LARGE_TRANSACTION_THRESHOLD); structuring, how many transactions just under the
    large-transaction threshold; wash_trading, trades between accounts of one owner; self_trade_attempts,
    orders the engine refused or cancelled for matching the account's own orders; spoofing, orders the
    account cancelled (and at least cancel_ratio of the orders it placed in the window were cancelled);
    layering, resting orders on one side of one market, at distinct price levels, cancelled within the
    window after the account traded on the other side of that market.
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

    history = HistoricalRecords()

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
        if self.kind == RuleKind.SPOOFING and Decimal(str(self.parameters.get("cancel_ratio", "0.9"))) > 1:
            raise ValidationError({"parameters": "cancel_ratio is a share of the orders placed, at most 1."})

    def large_threshold(self) -> Decimal:
        return self.threshold if self.threshold is not None else settings.CDX_LARGE_TRANSACTION_THRESHOLD

    def required_threshold(self) -> Decimal:
        """The threshold of every kind but large_transaction, which clean() requires."""
        assert self.threshold is not None, f"rule {self.pk} has no threshold"
        return self.threshold


class SeveritySla(models.Model):
    """How long an alert of a severity may stay unresolved: its due time is raised_at + hours."""

    severity = models.CharField(primary_key=True, max_length=10, choices=Severity.choices)
    hours = models.PositiveIntegerField()

    history = HistoricalRecords()

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
    case = models.ForeignKey("Case", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts")
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
    """One change of an alert or a case (its notes, attachments, approvals, SARs): who, when, what, before and
    after. Rows are only ever added. A case's trail is its own rows and those of its alerts."""

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_trail")
    case = models.ForeignKey("Case", on_delete=models.PROTECT, null=True, blank=True, related_name="audit_trail")
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
        constraints = [
            models.CheckConstraint(
                condition=models.Q(alert__isnull=False) | models.Q(case__isnull=False), name="audit_entry_has_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.alert_id or self.case_id} {self.action}"

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

    history = HistoricalRecords()

    class Meta:
        ordering = ["tier"]
        verbose_name = "KYC tier limit"

    def __str__(self) -> str:
        return self.tier


# Cases, four-eyes approvals and SARs


class CaseStatus(models.TextChoices):
    OPEN = "open"
    CLOSED = "closed"


class Case(models.Model):
    """Related alerts investigated together: one assignee, notes, evidence and one audit trail."""

    id = PublicIdField(prefix="cas")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="compliance_cases"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.id} {self.title}"


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on {self.case_id}"


class CaseAttachment(models.Model):
    """Evidence kept through Django's storage API (default: FileSystemStorage under MEDIA_ROOT)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="compliance/cases/%Y/%m/")
    name = models.CharField(max_length=255, help_text="The file's name as uploaded.")
    content_type = models.CharField(max_length=50, help_text="What the content is, sniffed from its bytes.")
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class SarStatus(models.TextChoices):
    DRAFT = "draft"
    IN_REVIEW = "in_review", "In review"
    FILED = "filed"


class Sar(models.Model):
    """A suspicious activity report on a case or an alert: draft -> in review -> filed (after a second officer's
    approval)."""

    id = PublicIdField(prefix="sar")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="sars")
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, null=True, blank=True, related_name="sars")
    status = models.CharField(max_length=10, choices=SarStatus.choices, default=SarStatus.DRAFT)
    narrative = models.TextField(help_text="What happened, why it is suspicious, what was done.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    filed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "SAR"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(case__isnull=False) & models.Q(alert__isnull=True))
                | (models.Q(case__isnull=True) & models.Q(alert__isnull=False)),
                name="sar_on_case_or_alert",
                violation_error_message="A SAR is about one case or one alert: give exactly one.",
            )
        ]

    def __str__(self) -> str:
        return self.id

    def subject_alerts(self) -> list[Alert]:
        return list(self.case.alerts.all()) if self.case_id else [self.alert]  # type: ignore[union-attr, list-item]


class ApprovalAction(models.TextChoices):
    CLOSE_ALERT = "close_alert"
    CLOSE_CASE = "close_case"
    FILE_SAR = "file_sar", "File SAR"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ApprovalRequest(models.Model):
    """Four eyes: an officer asks, a different officer approves (the action is then done) or rejects."""

    id = PublicIdField(prefix="apr")
    action = models.CharField(max_length=20, choices=ApprovalAction.choices)
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, null=True, blank=True, related_name="approvals")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="approvals")
    sar = models.ForeignKey(Sar, on_delete=models.PROTECT, null=True, blank=True, related_name="approvals")
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    reason = models.TextField(blank=True, help_text="Why the requester asks.")
    status = models.CharField(max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.alert_id or self.case_id or self.sar_id} ({self.status})"


# Who changed an account's credit line or beneficial owner, and from what (the history is compliance's record).
register(Account, app="compliance", excluded_fields=["created_at"])


class SurveillanceTask(models.Model):
    """A check surveillance owes: written in the transaction of the trading change that calls for it,
    deleted in the transaction that ran it, so a crash in between loses no check (compliance.surveillance)."""

    kind = models.CharField(max_length=20)
    subject_id = models.CharField(max_length=32, help_text="The account, order, trade, deposit or withdrawal to look at.")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_id}"
