"""Auctions in the admin: read-only records (every change goes through the services), cancelling as an action."""

from django.contrib import admin, messages

from kernel.errors import ServiceError

from . import services
from .models import Auction, AuctionResult, Bid, SupplyTranche


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TrancheInline(ReadOnly, admin.TabularInline):
    model = SupplyTranche
    fields = ("price", "quantity")
    readonly_fields = fields
    extra = 0


class BidInline(ReadOnly, admin.TabularInline):
    model = Bid
    fields = ("id", "account", "arrival", "price", "quantity", "status", "reserved", "allocated_quantity", "trade")
    readonly_fields = fields
    extra = 0
    show_change_link = True


class ResultInline(ReadOnly, admin.StackedInline):
    model = AuctionResult
    fields = ("clearing_price", "volume", "demand", "supply", "imbalance", "proceeds", "marginal_fill_ratio", "demand_curve", "settlement_id", "settled_at")
    readonly_fields = fields
    extra = 0


@admin.register(Auction)
class AuctionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("id", "market", "seller", "status", "supply_quantity", "reserve_price", "clearing_price", "total_allocated", "opens_at", "closes_at")
    list_filter = ("status", "market", "allocation")
    search_fields = ("id", "seller__id", "seller__user__username")
    inlines = [ResultInline, TrancheInline, BidInline]
    actions = ["cancel_auctions"]

    @admin.action(description="Cancel selected auctions (every reservation released)", permissions=["cancel"])
    def cancel_auctions(self, request, queryset):
        cancelled = 0
        for auction_id in queryset.values_list("id", flat=True):
            try:
                services.auction_cancel(auction_id=auction_id, cancelled_by=request.user)
                cancelled += 1
            except ServiceError as error:
                self.message_user(request, f"{auction_id}: {error.message}", messages.WARNING)
        self.message_user(request, f"Cancelled {cancelled} auction(s).")

    def has_cancel_permission(self, request):
        return request.user.is_superuser


@admin.register(Bid)
class BidAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("id", "auction_id", "account", "arrival", "price", "quantity", "status", "allocated_quantity", "created_at")
    list_filter = ("status",)
    search_fields = ("id", "auction__id", "account__id", "account__user__username")
