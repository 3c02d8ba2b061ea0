"""The surveillance rules and the settings they read: severity SLAs and KYC tier limits, each with its history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ..models import KycTierLimit, SeveritySla, SurveillanceRule


@admin.register(SurveillanceRule)
class SurveillanceRuleAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "enabled", "severity", "threshold", "window_seconds", "updated_at"]
    list_filter = ["kind", "enabled", "severity"]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "kind", "updated_at"] if obj else ["updated_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # alerts refer to their rule; switch it off instead


@admin.register(SeveritySla)
class SeveritySlaAdmin(SimpleHistoryAdmin):
    list_display = ["severity", "hours"]


@admin.register(KycTierLimit)
class KycTierLimitAdmin(SimpleHistoryAdmin):
    list_display = ["tier", "daily_withdrawal_limit"]
