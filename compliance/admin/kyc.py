"""KYC decisions: the history of an account's KYC, and "add", which records one through the KYC service."""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import quote  # the admin's own escaping of "_" in object ids
from django.http import HttpResponseRedirect
from django.urls import reverse

from accounts.models import Account
from kernel.admin import admin_object_adopt

from .. import services
from ..models import KycChange


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
        admin_object_adopt(obj, account.kyc_changes.first())

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
