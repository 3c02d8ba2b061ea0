"""Alerts: the officers' triage list, filters, the triage form and bulk moves, all through compliance.services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil

from kernel.admin import admin_bulk_apply
from kernel.errors import ServiceError

from .. import selectors, services
from ..models import Alert, AlertStatus, Disposition
from .activity import admin_link, recent_orders_table, recent_trades_table
from .audit import AlertAuditInline, AlertNoteInline, alert_notes_save
from .cases import case_create_from_alerts


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
        status, assignee = self.fields["status"], self.fields["assignee"]
        assert isinstance(status, forms.ChoiceField) and isinstance(assignee, forms.ModelChoiceField)
        status.choices = [(value, AlertStatus(value).label) for value in allowed]
        status.help_text = "Closing needs a disposition; reopening clears it."
        assignee.queryset = selectors.officer_list()

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns (the stubs allow None)
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
        "close_false_positive", "close_confirmed_risk", "close_sar_filed", case_create_from_alerts,
    ]

    def has_add_permission(self, request):
        return False  # alerts are raised by the surveillance rules

    def has_delete_permission(self, request, obj=None):
        return False  # the record stays; close it instead

    @admin.display(description="account")
    def account_link(self, alert):
        return format_html("{} ({})", admin_link("accounts_account_change", alert.account_id), alert.account.user)

    @admin.display(description="age")
    def age(self, alert):
        return timesince(alert.raised_at)

    @admin.display(description="SLA")
    def sla(self, alert):
        text = _sla_text(alert, timezone.now())
        return format_html('<strong style="color:#ba2121">{}</strong>', text) if text.startswith("overdue") else text

    @admin.display(description="recent orders")
    def recent_orders(self, alert):
        return recent_orders_table(alert.account_id)

    @admin.display(description="recent trades")
    def recent_trades(self, alert):
        return recent_trades_table(alert.account_id)

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
        alert_notes_save(request, form, formset)

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        admin_bulk_apply(
            self, request, queryset,
            lambda alert_id: services.alert_assign(alert_id=alert_id, assignee=request.user, actor=request.user),
            done="{count} alert(s) assigned to you.",
        )

    def _move(self, request, queryset, status: str) -> None:
        admin_bulk_apply(
            self, request, queryset,
            lambda alert_id: services.alert_status_change(alert_id=alert_id, status=status, actor=request.user),
            done="{count} alert(s) moved to " + status + ".",
        )

    def _close(self, request, queryset, disposition: str) -> None:
        admin_bulk_apply(
            self, request, queryset,
            lambda alert_id: services.alert_close(alert_id=alert_id, disposition=disposition, actor=request.user),
            done="{count} alert(s) closed as " + disposition + " (high and critical ones once a second officer approves).",
        )

    @admin.action(description="Start investigation", permissions=["change"])
    def start_investigation(self, request, queryset):
        self._move(request, queryset, AlertStatus.INVESTIGATING)

    @admin.action(description="Escalate", permissions=["change"])
    def escalate(self, request, queryset):
        self._move(request, queryset, AlertStatus.ESCALATED)

    @admin.action(description="Close as false positive", permissions=["change"])
    def close_false_positive(self, request, queryset):
        self._close(request, queryset, Disposition.FALSE_POSITIVE)

    @admin.action(description="Close as confirmed risk", permissions=["change"])
    def close_confirmed_risk(self, request, queryset):
        self._close(request, queryset, Disposition.CONFIRMED_RISK)

    @admin.action(description="Close as SAR filed", permissions=["change"])
    def close_sar_filed(self, request, queryset):
        self._close(request, queryset, Disposition.SAR_FILED)
