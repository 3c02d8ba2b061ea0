"""Alerts: the officers' triage list, filters, the triage form and bulk moves, all through compliance.services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil

from kernel.admin import admin_bulk_apply
from kernel.errors import ServiceError

from .. import selectors, services
from ..models import Alert, AlertStatus, Disposition
from ..templatetags.compliance_format import relative_time
from .activity import admin_link, alert_trigger_html, facts_list
from .audit import AlertAuditInline, AlertNoteInline, alert_notes_save
from .cases import case_create_from_alerts
from .exports import alerts_csv_response, audit_csv_response


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
        return f"overdue by {timesince(alert.due_at, now, depth=1)}"
    return f"due in {timeuntil(alert.due_at, now, depth=1)}"


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    form = AlertTriageForm
    # Eight short columns beside the filters fit a 1366 px screen; "raised" reads "5 minutes ago".
    list_display = ["id", "alert_type", "severity", "status", "account_short", "assignee", "raised", "sla"]
    list_filter = ["status", "severity", "alert_type", AssigneeFilter, OverdueFilter]
    search_fields = ["id", "account__id", "account__user__username"]
    list_select_related = ["account__user", "assignee"]
    date_hierarchy = "raised_at"
    change_list_template = "admin/compliance/alert/change_list.html"  # adds the CSV exports
    readonly_fields = [
        "id", "alert_type", "severity", "account_link", "rule", "description", "facts_shown", "event_id",
        "raised_at", "due_at", "sla", "closed_at", "trigger",
    ]
    fieldsets = [
        (None, {"fields": [
            "id", "alert_type", "severity", "account_link", "rule", "description", "facts_shown", "event_id",
        ]}),
        ("Triage", {"fields": ["status", "disposition", "assignee", "raised_at", "due_at", "sla", "closed_at"]}),
        ("What triggered it", {"fields": ["trigger"]}),
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

    def get_urls(self):
        export = [
            path("export.csv", self.admin_site.admin_view(self.export_alerts), name="compliance_alert_export"),
            path("audit.csv", self.admin_site.admin_view(self.export_audit), name="compliance_alert_audit_export"),
        ]
        return export + super().get_urls()

    def _filtered(self, request):
        """The queue as the officer filtered it: the change list's own filters, search and date drill-down."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            return self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters as error:
            raise SuspiciousOperation(f"Unknown filter: {error}") from None

    def export_alerts(self, request):
        return alerts_csv_response(self._filtered(request))

    def export_audit(self, request):
        return audit_csv_response(self._filtered(request))

    @admin.display(description="account")
    def account_link(self, alert):
        investigate = reverse("compliance_account", args=[alert.account_id]) + f"?alert={alert.id}"
        return format_html(
            '{} ({}) &middot; <a href="{}">investigate the account</a>',
            admin_link("accounts_account_change", alert.account_id), alert.account.user, investigate,
        )

    @admin.display(description="account", ordering="account")
    def account_short(self, alert):
        return alert.account_id

    @admin.display(description="raised", ordering="raised_at")
    def raised(self, alert):
        return relative_time(alert.raised_at)

    @admin.display(description="facts")
    def facts_shown(self, alert):
        return facts_list(alert)

    @admin.display(description="SLA")
    def sla(self, alert):
        text = _sla_text(alert, timezone.now())
        return format_html('<strong style="color:#ba2121">{}</strong>', text) if text.startswith("overdue") else text

    @admin.display(description="activity")
    def trigger(self, alert):
        return alert_trigger_html(alert)

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
