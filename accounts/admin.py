from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from .models import Account, ApiKey
from .services import api_key_revoke


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "kyc_status", "kyc_tier", "credit_line", "created_at")
    list_filter = ("kyc_status", "kyc_tier")
    search_fields = ("id", "user__username", "user__email")
    # KYC changes only through the compliance KYC service (audited, announced): the "Change KYC" action.
    readonly_fields = ("id", "user", "created_at", "kyc_status", "kyc_tier")
    actions = ["change_kyc"]

    @admin.action(description="Change KYC (one account)")
    def change_kyc(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one account to change its KYC.")
            return None
        return HttpResponseRedirect(reverse("admin:compliance_kycchange_add") + f"?account={queryset.get().pk}")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Staff see every bot's keys and revoke them; keys are made by their traders (POST /v1/api-keys)."""

    list_display = ("id", "user", "label", "scopes", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("id", "label", "user__username")
    readonly_fields = list_display
    exclude = ("secret_hash",)
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: the record of a key stays

    @admin.action(description="Revoke the selected API keys", permissions=["change"])
    def revoke(self, request, queryset):
        for api_key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key)
        self.message_user(request, "Revoked; their open sockets are closed.")
