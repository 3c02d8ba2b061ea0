from django.contrib import admin

from .models import Account


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "kyc_status", "kyc_tier", "credit_line", "created_at")
    list_filter = ("kyc_status", "kyc_tier")
    search_fields = ("id", "user__username", "user__email")
    readonly_fields = ("id", "user", "created_at")
