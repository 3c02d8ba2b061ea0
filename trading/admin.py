"""Read-mostly admin: every change goes through the trading services, so it is validated and announced."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from accounts.models import Account
from kernel.admin import admin_bulk_apply, admin_object_adopt

from . import services
from .models import Balance, Deposit, Market, Order, Settlement, Trade, Withdrawal


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Market)
class MarketAdmin(ReadOnlyAdmin):
    list_display = ("symbol", "base", "quote", "tick_size", "lot_size", "last_price", "active")


@admin.register(Balance)
class BalanceAdmin(ReadOnlyAdmin):
    list_display = ("account", "currency", "available", "reserved", "borrowed")
    list_filter = ("currency",)
    search_fields = ("account__id", "account__user__username")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "market", "side", "order_type", "quantity", "price", "filled", "status", "created_at")
    list_filter = ("market", "status", "side", "order_type", "time_in_force")
    search_fields = ("id", "client_order_id", "account__id", "account__user__username")
    actions = ["cancel_orders"]

    @admin.action(description="Cancel selected orders", permissions=["cancel"])
    def cancel_orders(self, request, queryset):
        admin_bulk_apply(
            self, request, queryset,
            lambda order_id: services.order_cancel(order_id=order_id, reason="admin_requested"),
            done="Cancelled {count} order(s).",
        )

    def has_cancel_permission(self, request):
        return request.user.has_perm("trading.change_order")


@admin.register(Trade)
class TradeAdmin(ReadOnlyAdmin):
    list_display = ("id", "market", "quantity", "price", "commission", "buyer", "seller", "status", "executed_at")
    list_filter = ("market", "status")
    search_fields = ("id", "buyer__id", "seller__id")


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = ("id", "trade", "status", "dvp_transaction_id", "failure_reason", "attempts", "created_at")
    list_filter = ("status",)
    search_fields = ("id", "trade__id", "dvp_transaction_id")


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "currency", "amount", "status", "transaction_hash", "created_at")
    list_filter = ("status", "currency")
    search_fields = ("id", "account__id", "transaction_hash")


class DepositForm(forms.ModelForm):
    account = forms.ModelChoiceField(queryset=Account.objects.select_related("user"))

    class Meta:
        model = Deposit
        fields = ("account", "currency", "amount", "transaction_hash")

    def clean(self):
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean returns (the stubs allow None)
        if not self.errors:
            try:
                services.transfer_validate(account_id=data["account"].id, currency=data["currency"], amount=data["amount"])
            except ValidationError as error:
                raise forms.ValidationError(error.message_dict) from error
        return data


@admin.register(Deposit)
class DepositAdmin(admin.ModelAdmin):
    """Deposits are added here (through deposit_create) and never changed."""

    form = DepositForm
    list_display = ("id", "account", "currency", "amount", "transaction_hash", "created_at")
    list_filter = ("currency",)
    search_fields = ("id", "account__id", "transaction_hash")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        deposit_id = services.deposit_create(
            account_id=data["account"].id,
            currency=data["currency"],
            amount=data["amount"],
            transaction_hash=data["transaction_hash"],
        )
        admin_object_adopt(obj, Deposit.objects.get(pk=deposit_id))
