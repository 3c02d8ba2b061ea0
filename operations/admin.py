"""Administrators post, edit and cancel maintenance notices and set service statuses; every save goes
through operations.services, so the admin broadcasts exactly what the REST API does."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone

from kernel.admin import admin_bulk_apply, admin_object_adopt
from kernel.errors import ServiceError

from .models import LIVE_STATES, MaintenanceNotice, ServiceStatus
from .services import (
    maintenance_notice_cancel,
    maintenance_notice_post,
    maintenance_notice_update,
    maintenance_window_check,
    service_status_set,
)

NOTICE_FIELDS = ("service", "start_time", "end_time", "description")


class MaintenanceNoticeForm(forms.ModelForm):
    class Meta:
        model = MaintenanceNotice
        fields = NOTICE_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean returns (the stubs allow None)
        if all(data.get(name) for name in NOTICE_FIELDS):
            try:
                maintenance_window_check(**{name: data[name] for name in NOTICE_FIELDS}, now=timezone.now(), notice_id=self.instance.pk)
            except ServiceError as error:
                raise ValidationError(error.message) from error
        return data


@admin.register(MaintenanceNotice)
class MaintenanceNoticeAdmin(admin.ModelAdmin):
    form = MaintenanceNoticeForm
    list_display = ("id", "service", "start_time", "end_time", "state", "description", "author")
    list_select_related = ("author",)  # nullable, so the changelist's own select_related skips it
    list_filter = ("state", "service")
    search_fields = ("id", "description")
    ordering = ("-start_time",)
    actions = ["cancel_notices"]

    def get_readonly_fields(self, request, obj=None):
        closed = obj is not None and obj.state not in LIVE_STATES
        return (*NOTICE_FIELDS, "state", "author") if closed else ("state", "author")

    def has_delete_permission(self, request, obj=None):
        return False  # a notice is cancelled, so clients are told; it is never silently deleted

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in NOTICE_FIELDS}
        if change:
            saved = maintenance_notice_update(notice_id=obj.pk, **fields)
        else:
            saved = maintenance_notice_post(author=request.user, **fields)
        admin_object_adopt(obj, saved)

    @admin.action(description="Cancel the selected notices (clients are told)")
    def cancel_notices(self, request, queryset):
        admin_bulk_apply(
            self, request, queryset,
            lambda notice_id: maintenance_notice_cancel(notice_id=notice_id),
            done="Cancelled {count} notice(s).",
        )


class ServiceStatusForm(forms.ModelForm):
    class Meta:
        model = ServiceStatus
        fields = ("status", "message")


@admin.register(ServiceStatus)
class ServiceStatusAdmin(admin.ModelAdmin):
    form = ServiceStatusForm
    list_display = ("service", "status", "message", "since", "source")
    readonly_fields = ("service", "since", "source")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        admin_object_adopt(obj, service_status_set(service=obj.service, status=obj.status, message=obj.message))
