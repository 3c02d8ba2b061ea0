"""The triage console: officers work alerts here. Every change goes through compliance.services."""

from datetime import datetime
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.contrib.admin.utils import quote  # the admin's own escaping of "_" in object ids
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince, timeuntil

from accounts.models import Account
from kernel.errors import ServiceError
from kernel.json import isoformat, plain

from . import selectors, services
from .models import (
    Alert,
    AlertAuditEntry,
    AlertNote,
    AlertStatus,
    Disposition,
    KycChange,
    KycTierLimit,
    SeveritySla,
    SurveillanceRule,
)


class AssigneeFilter(admin.SimpleListFilter):
    title = "assignee"
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        return [("me", "Me"), ("none", "Unassigned")] + [
            (str(user.pk), user.get_username()) for user in selectors.officer_list()
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assignee=request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value and value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Within SLA")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(selectors.alert_overdue_q())
        if self.value() == "no":
            return queryset.exclude(selectors.alert_overdue_q())
        return queryset


class AlertTriageForm(forms.ModelForm):
    """Status, disposition and assignee; the move is checked by the service's own rule before saving."""

    class Meta:
        model = Alert
        fields = ["status", "disposition", "assignee"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.status
        allowed = [current, *sorted(services.ALLOWED_MOVES[current])]
        self.fields["status"].choices = [(value, AlertStatus(value).label) for value in allowed]
        self.fields["status"].help_text = "Closing needs a disposition; reopening clears it."
        self.fields["assignee"].queryset = selectors.officer_list()

    def clean(self):
        cleaned = super().clean()
        status, disposition = cleaned.get("status"), cleaned.get("disposition") or ""
        if status is None:
            return cleaned
        if status == self.instance.status:
            if disposition != self.instance.disposition:
                raise ValidationError({"disposition": "The disposition is set when closing (reopen to change it)."})
            return cleaned
        try:
            services.alert_move_check(current=self.instance.status, status=status, disposition=disposition)
        except ServiceError as error:
            field = "disposition" if "DISPOSITION" in error.code else "status"
            raise ValidationError({field: error.message}) from None
        return cleaned


class AlertNoteInline(admin.TabularInline):
    """Existing notes are read-only; a new one is added through the service (audited, announced)."""

    model = AlertNote
    fields = ["text", "author", "created_at"]
    readonly_fields = ["author", "created_at"]
    extra = 1
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False


class AlertAuditInline(admin.TabularInline):
    model = AlertAuditEntry
    verbose_name_plural = "audit trail"
    fields = ["at", "actor_name", "action", "before", "after"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="who")
    def actor_name(self, entry):
        return entry.actor.get_username() if entry.actor else "surveillance"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _sla_text(alert: Alert, now) -> str:
    if alert.status == AlertStatus.CLOSED:
        met = alert.closed_at and alert.closed_at <= alert.due_at
        return "met" if met else "missed"
    if alert.due_at < now:
        return f"overdue by {timesince(alert.due_at, now)}"
    return f"due in {timeuntil(alert.due_at, now)}"


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    form = AlertTriageForm
    list_display = ["id", "alert_type", "severity", "status", "account", "assignee", "age", "sla", "raised_at"]
    list_filter = ["status", "severity", "alert_type", AssigneeFilter, OverdueFilter]
    search_fields = ["id", "account__id", "account__user__username"]
    list_select_related = ["account__user", "assignee"]
    date_hierarchy = "raised_at"
    readonly_fields = [
        "id", "alert_type", "severity", "account_link", "rule", "description", "facts", "event_id",
        "raised_at", "due_at", "sla", "closed_at", "recent_orders", "recent_trades",
    ]
    fieldsets = [
        (None, {"fields": ["id", "alert_type", "severity", "account_link", "rule", "description", "facts", "event_id"]}),
        ("Triage", {"fields": ["status", "disposition", "assignee", "raised_at", "due_at", "sla", "closed_at"]}),
        ("The account's recent activity", {"fields": ["recent_orders", "recent_trades"]}),
    ]
    inlines = [AlertNoteInline, AlertAuditInline]
    actions = [
        "assign_to_me", "start_investigation", "escalate",
        "close_false_positive", "close_confirmed_risk", "close_sar_filed",
    ]

    def has_add_permission(self, request):
        return False  # alerts are raised by the surveillance rules

    def has_delete_permission(self, request, obj=None):
        return False  # the record stays; close it instead

    @admin.display(description="account")
    def account_link(self, alert):
        return format_html("{} ({})", _admin_link("accounts_account_change", alert.account_id), alert.account.user)

    @admin.display(description="age")
    def age(self, alert):
        return timesince(alert.raised_at)

    @admin.display(description="SLA")
    def sla(self, alert):
        text = _sla_text(alert, timezone.now())
        return format_html('<strong style="color:#ba2121">{}</strong>', text) if text.startswith("overdue") else text

    @admin.display(description="recent orders")
    def recent_orders(self, alert):
        rows = selectors.account_recent_orders(account_id=alert.account_id)
        return _table(
            ["order", "symbol", "side", "type", "quantity", "price", "status", "created"],
            [
                (_admin_link("trading_order_change", o.id), o.market_id, o.side, o.order_type, o.quantity, o.price,
                 o.status, o.created_at)
                for o in rows
            ],
        )

    @admin.display(description="recent trades")
    def recent_trades(self, alert):
        rows = selectors.account_recent_trades(account_id=alert.account_id)
        return _table(
            ["trade", "symbol", "side", "quantity", "price", "counterparty", "executed"],
            [
                (_admin_link("trading_trade_change", r.trade.id), r.trade.market_id, r.side, r.trade.quantity,
                 r.trade.price, _admin_link("accounts_account_change", r.counterparty_id), r.trade.executed_at)
                for r in rows
            ],
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if "assignee" in form.changed_data:
                services.alert_assign(alert_id=obj.pk, assignee=data["assignee"], actor=request.user)
            if "status" in form.changed_data:
                services.alert_status_change(
                    alert_id=obj.pk, status=data["status"], disposition=data["disposition"] or "", actor=request.user
                )
        except ServiceError as error:  # e.g. another officer moved the alert since this page was loaded
            self.message_user(request, f"Not saved: {error.message}", messages.ERROR)

    def save_formset(self, request, form, formset, change):
        # Notes are only added, through the service; the audit trail is never edited here.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is not AlertNote:
            return
        for note_form in formset.extra_forms:
            text = note_form.cleaned_data.get("text") if note_form.has_changed() else None
            if text:
                note = services.alert_note_add(alert_id=form.instance.pk, author=request.user, text=text)
                formset.new_objects.append(note)

    def _apply(self, request, queryset, done: str, change) -> None:
        succeeded, refused = 0, []
        for alert in queryset:
            try:
                change(alert)
                succeeded += 1
            except ServiceError as error:
                refused.append(f"{alert.id}: {error.message}")
        if succeeded:
            self.message_user(request, f"{succeeded} alert(s) {done}.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Refused: " + "; ".join(refused), messages.WARNING)

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._apply(
            request, queryset, "assigned to you",
            lambda a: services.alert_assign(alert_id=a.pk, assignee=request.user, actor=request.user),
        )

    def _move(self, request, queryset, status: str, disposition: str = "") -> None:
        self._apply(
            request, queryset, f"moved to {status}" + (f" ({disposition})" if disposition else ""),
            lambda a: services.alert_status_change(
                alert_id=a.pk, status=status, disposition=disposition, actor=request.user
            ),
        )

    @admin.action(description="Start investigation", permissions=["change"])
    def start_investigation(self, request, queryset):
        self._move(request, queryset, AlertStatus.INVESTIGATING)

    @admin.action(description="Escalate", permissions=["change"])
    def escalate(self, request, queryset):
        self._move(request, queryset, AlertStatus.ESCALATED)

    @admin.action(description="Close as false positive", permissions=["change"])
    def close_false_positive(self, request, queryset):
        self._move(request, queryset, AlertStatus.CLOSED, Disposition.FALSE_POSITIVE)

    @admin.action(description="Close as confirmed risk", permissions=["change"])
    def close_confirmed_risk(self, request, queryset):
        self._move(request, queryset, AlertStatus.CLOSED, Disposition.CONFIRMED_RISK)

    @admin.action(description="Close as SAR filed", permissions=["change"])
    def close_sar_filed(self, request, queryset):
        self._move(request, queryset, AlertStatus.CLOSED, Disposition.SAR_FILED)


def _admin_link(view: str, pk: str):
    return format_html('<a href="{}">{}</a>', reverse(f"admin:{view}", args=[quote(pk)]), pk)


def _cell(value) -> str:
    if hasattr(value, "__html__"):
        return value
    if isinstance(value, Decimal):
        return str(plain(value))
    if isinstance(value, datetime):
        return isoformat(value)
    return "" if value is None else str(value)


def _table(headers: list[str], rows: list[tuple]):
    if not rows:
        return "none"
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((_cell(c),) for c in row)),) for row in rows)
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


class KycChangeForm(forms.ModelForm):
    class Meta:
        model = KycChange
        fields = ["account", "new_status", "new_tier", "reason"]


@admin.register(KycChange)
class KycChangeAdmin(admin.ModelAdmin):
    """The KYC history; "add" records a decision through the KYC service (the account admin links here)."""

    form = KycChangeForm
    list_display = ["at", "account", "previous_status", "new_status", "previous_tier", "new_tier", "actor"]
    list_filter = ["new_status", "new_tier"]
    search_fields = ["account__id", "account__user__username"]
    raw_id_fields = ["account"]
    list_select_related = ["account__user", "actor"]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        account = Account.objects.filter(pk=request.GET.get("account", "")).first()
        if account is not None:
            initial.update(new_status=account.kyc_status, new_tier=account.kyc_tier)
        return initial

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        account = services.account_kyc_set(
            account_id=data["account"].pk,
            status=data["new_status"],
            tier=data["new_tier"],
            reason=data["reason"],
            actor=request.user,
        )
        latest = account.kyc_changes.first()
        obj.pk = latest.pk if latest else None

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            self.message_user(request, "The account already had that KYC status and tier; nothing changed.")
        else:
            self.message_user(request, f"KYC of {obj.account_id} is now {obj.new_status} / {obj.new_tier}.")
        return HttpResponseRedirect(reverse("admin:accounts_account_change", args=[quote(obj.account_id)]))

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SurveillanceRule)
class SurveillanceRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "enabled", "severity", "threshold", "window_seconds", "updated_at"]
    list_filter = ["kind", "enabled", "severity"]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "kind", "updated_at"] if obj else ["updated_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # alerts refer to their rule; switch it off instead


@admin.register(SeveritySla)
class SeveritySlaAdmin(admin.ModelAdmin):
    list_display = ["severity", "hours"]


@admin.register(KycTierLimit)
class KycTierLimitAdmin(admin.ModelAdmin):
    list_display = ["tier", "daily_withdrawal_limit"]
