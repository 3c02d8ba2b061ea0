"""Cases: made from selected alerts (an action on the alert queue), then worked on their page: add alerts,
assign, note, attach evidence, close (four eyes when a high or critical alert is in it). All through services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from kernel.errors import ServiceError

from .. import selectors, services
from ..models import ApprovalRequest, Case, CaseAttachment, CaseStatus, Disposition
from .activity import admin_link


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _values(change) -> str:
    """An audit entry's before or after as short "name: value" lines (the cell wraps instead of overflowing)."""
    if not isinstance(change, dict):
        return "" if change is None else str(change)
    return "; ".join(f"{name}: {value}" for name, value in change.items())


@admin.action(description="Create a case from the selected alerts", permissions=["change"])
def case_create_from_alerts(model_admin, request, queryset):
    alerts = list(queryset.select_related("account__user"))
    owners = ", ".join(dict.fromkeys(str(alert.account.user) for alert in alerts))
    try:
        case = services.case_create(
            alert_ids=[alert.id for alert in alerts], title=f"{len(alerts)} alert(s) on {owners}", actor=request.user
        )
    except ServiceError as error:
        model_admin.message_user(request, f"No case created: {error.message}", messages.ERROR)
        return None
    model_admin.message_user(request, f"Case {case.id} created with {len(alerts)} alert(s).", messages.SUCCESS)
    return HttpResponseRedirect(reverse("admin:compliance_case_change", args=[quote(case.id)]))


class CaseWorkForm(forms.ModelForm):
    """What an officer does on a case's page; each filled field is one service call."""

    add_alerts = forms.CharField(required=False, help_text="Alert ids (alr_...), separated by spaces or commas.")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    attachment = forms.FileField(required=False, help_text="Evidence: PDF, PNG, JPEG, CSV or TXT, at most 10 MB.")
    close_as = forms.ChoiceField(
        required=False,
        choices=[("", "(keep open)"), *Disposition.choices],
        help_text="Closes the case and its alerts; a second officer approves it when a high or critical alert is in it.",
    )

    class Meta:
        model = Case
        fields = ["assignee"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ModelChoiceField)
        assignee.queryset = selectors.officer_list()

    def clean_add_alerts(self) -> list[str]:
        return self.cleaned_data["add_alerts"].replace(",", " ").split()

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            try:
                services.case_attachment_check(upload=upload)
            except ServiceError as error:
                raise ValidationError(error.message) from None
        return upload


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    form = CaseWorkForm
    list_display = ["id", "title", "status", "disposition", "assignee", "alert_count", "created_at"]
    list_filter = ["status", "disposition"]
    search_fields = ["id", "title", "alerts__id", "alerts__account__id"]
    list_select_related = ["assignee"]
    readonly_fields = [
        "id", "title", "status", "disposition", "created_by", "created_at", "closed_at",
        "alert_table", "notes_list", "attachment_list", "pending_approvals", "trail",
    ]
    fieldsets = [
        (None, {"fields": ["id", "title", "status", "disposition", "assignee", "created_by", "created_at", "closed_at"]}),
        ("Alerts", {"fields": ["alert_table", "add_alerts"]}),
        ("Notes and evidence", {"fields": ["notes_list", "note", "attachment_list", "attachment"]}),
        ("Close", {"fields": ["pending_approvals", "close_as"]}),
        ("Audit trail", {"fields": ["trail"]}),
    ]

    def has_add_permission(self, request):
        return False  # a case is made from selected alerts (the alert queue's action)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="alerts")
    def alert_count(self, case):
        return case.alerts.count()

    @admin.display(description="alerts")
    def alert_table(self, case):
        rows = case.alerts.select_related("account__user").order_by("raised_at")
        return format_html(
            "<table><tr><th>alert</th><th>type</th><th>severity</th><th>status</th><th>account</th></tr>{}</table>",
            format_html_join(
                "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((admin_link("compliance_alert_change", a.id), a.alert_type, a.severity, a.status, a.account) for a in rows),
            ),
        )

    @admin.display(description="notes")
    def notes_list(self, case):
        notes = case.notes.select_related("author")
        return format_html_join("", "<p><strong>{}</strong> {}: {}</p>", ((n.author, _when(n.created_at), n.text) for n in notes)) or "none"

    @admin.display(description="attachments")
    def attachment_list(self, case):
        return format_html_join(
            "", '<p><a href="{}">{}</a> ({}, {} bytes, sha256 {}) by {}</p>',
            (
                (reverse("admin:compliance_case_attachment", args=[quote(case.id), a.pk]), a.name, a.content_type,
                 a.size, a.sha256[:12], a.uploaded_by)
                for a in case.attachments.select_related("uploaded_by")
            ),
        ) or "none"

    @admin.display(description="waiting for approval")
    def pending_approvals(self, case):
        pending = ApprovalRequest.objects.filter(case=case, status="pending")
        return format_html_join(
            "", "<p>{}: close as {}, asked by {}</p>",
            ((admin_link("compliance_approvalrequest_change", a.id), a.disposition, a.requested_by) for a in pending),
        ) or "none"

    @admin.display(description="audit trail (the case and its alerts)")
    def trail(self, case):
        return format_html(
            '<table style="table-layout:fixed;width:100%;overflow-wrap:anywhere"><tr><th style="width:10em">when</th>'
            '<th style="width:8em">who</th><th style="width:12em">subject</th><th style="width:9em">action</th>'
            "<th>before</th><th>after</th></tr>{}</table>",
            format_html_join(
                "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (_when(e.at), e.actor.get_username() if e.actor else "surveillance", e.alert_id or e.case_id,
                     e.action, _values(e.before), _values(e.after))
                    for e in selectors.case_audit_trail(case=case)
                ),
            ),
        )

    def get_urls(self):
        attachment = path(
            "<path:object_id>/attachment/<int:attachment_id>/",
            self.admin_site.admin_view(self.attachment_view),
            name="compliance_case_attachment",
        )
        return [attachment, *super().get_urls()]

    def attachment_view(self, request, object_id: str, attachment_id: int):
        """Evidence is served to officers only (never from a public media URL)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        found = get_object_or_404(CaseAttachment, pk=attachment_id, case_id=unquote(object_id))
        if not found.file.storage.exists(found.file.name):
            raise Http404("The file is missing from storage.")
        return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name, content_type=found.content_type)

    def save_model(self, request, obj, form, change):
        data, user = form.cleaned_data, request.user
        try:
            if "assignee" in form.changed_data:
                services.case_assign(case_id=obj.pk, assignee=data["assignee"], actor=user)
            if data["add_alerts"]:
                services.case_alerts_add(case_id=obj.pk, alert_ids=data["add_alerts"], actor=user)
            if data["note"].strip():
                services.case_note_add(case_id=obj.pk, author=user, text=data["note"])
            if data["attachment"]:
                services.case_attachment_add(case_id=obj.pk, upload=data["attachment"], actor=user)
            if data["close_as"] and obj.status == CaseStatus.OPEN:
                closed = services.case_close(case_id=obj.pk, disposition=data["close_as"], actor=user)
                if isinstance(closed, ApprovalRequest):
                    self.message_user(request, "Closing it needs a second officer's approval: requested.", messages.WARNING)
        except ServiceError as error:
            self.message_user(request, f"Not saved: {error.message}", messages.ERROR)

    def save_related(self, request, form, formsets, change):
        pass  # nothing but the services writes a case
