from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from .models import Account


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
