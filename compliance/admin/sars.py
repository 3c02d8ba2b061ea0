"""SARs: drafted on a case or an alert, sent to review, filed once a second officer approves; exported for the
regulator's portal (compliance.sar_export) and printable."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from kernel.admin import admin_bulk_apply, admin_object_adopt
from kernel.errors import ServiceError

from .. import selectors, services
from ..models import ApprovalAction, Sar, SarStatus
from ..sar_export import sars_csv


class SarForm(forms.ModelForm):
    class Meta:
        model = Sar
        fields = ["case", "alert", "narrative"]


DETAILS = ["id", "case", "alert", "status", "created_by", "created_at", "filed_by", "approved_by", "filed_at"]


@admin.register(Sar)
class SarAdmin(admin.ModelAdmin):
    form = SarForm
    list_display = ["id", "status", "case", "alert", "created_by", "created_at", "filed_at", "approved_by"]
    list_filter = ["status"]
    search_fields = ["id", "case__id", "alert__id"]
    raw_id_fields = ["case", "alert"]
    actions = ["submit_for_review", "request_filing", "export_csv"]

    def get_fields(self, request, obj=None):
        return ["case", "alert", "narrative"] if obj is None else [*DETAILS, "narrative", "printable"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*DETAILS, "printable", *([] if obj.status == SarStatus.DRAFT else ["narrative"])]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="printable page")
    def printable(self, sar):
        return format_html('<a href="{}" target="_blank">Print view</a>', reverse("admin:compliance_sar_print", args=[quote(sar.pk)]))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                if "narrative" in form.changed_data:  # editable (and in the form) only while a draft
                    services.sar_narrative_set(sar_id=obj.pk, narrative=data["narrative"], actor=request.user)
                return
            sar = services.sar_create(
                narrative=data["narrative"], actor=request.user,
                case_id=data["case"].pk if data["case"] else None, alert_id=data["alert"].pk if data["alert"] else None,
            )
            admin_object_adopt(obj, sar)
        except ServiceError as error:
            self.message_user(request, f"Not saved: {error.message}", messages.ERROR)
            if not change:
                admin_object_adopt(obj, None)

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            return self.response_post_save_add(request, obj)
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description="Send to review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        admin_bulk_apply(
            self, request, queryset, lambda sar_id: services.sar_submit(sar_id=sar_id, actor=request.user),
            done="{count} SAR(s) sent to review.",
        )

    @admin.action(description="Request filing (a second officer approves)", permissions=["change"])
    def request_filing(self, request, queryset):
        admin_bulk_apply(
            self, request, queryset,
            lambda sar_id: services.approval_request(action=ApprovalAction.FILE_SAR, sar_id=sar_id, actor=request.user),
            done="Filing of {count} SAR(s) requested; a second officer approves it.",
        )

    @admin.action(description="Export the filed ones for the regulator (CSV)", permissions=["view"])
    def export_csv(self, request, queryset):
        filed = queryset.filter(status=SarStatus.FILED).select_related("filed_by", "approved_by", "case", "alert")
        if not filed.exists():
            self.message_user(request, "None of the selected SARs is filed; only filed SARs are exported.", messages.WARNING)
            return None
        response = HttpResponse(sars_csv(filed), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="sars.csv"'
        return response

    def get_urls(self):
        printable = path("<path:object_id>/print/", self.admin_site.admin_view(self.print_view), name="compliance_sar_print")
        return [printable, *super().get_urls()]

    def print_view(self, request, object_id: str):
        if not self.has_view_permission(request):
            raise PermissionDenied
        sar = get_object_or_404(Sar.objects.select_related("case", "alert", "created_by", "filed_by", "approved_by"), pk=unquote(object_id))
        report = selectors.sar_report(sar=sar)
        return TemplateResponse(request, "compliance/sar_print.html", {"report": report, "sar": sar})
