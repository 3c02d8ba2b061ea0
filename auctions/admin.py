"""Auctions in the admin: scheduling through `auction_create` (its refusals shown in the form), the record with
its ladder, bids and result, and cancelling and closing as actions through the services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote  # the admin's own escaping of "_" in object ids
from django.contrib.auth.models import User  # the project keeps Django's user model
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.models import Account
from accounts.roles import ADMIN, user_roles
from kernel.admin import admin_bulk_apply, admin_object_adopt
from kernel.errors import ServiceError
from kernel.json import isoformat
from kernel.numbers import decimal_text
from trading.models import Market

from . import services
from .clearing import ELASTICITY_TYPES, SupplySchedule
from .models import TERMINAL_STATUSES, Auction, AuctionResult, Bid, SupplyTranche

SCHEDULE_FIELDS = ("base_quantity", "price_floor", "price_ceiling", "elasticity_type", "elasticity_factor")


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TrancheInline(ReadOnly, admin.TabularInline):
    model = SupplyTranche
    verbose_name_plural = "ladder (supply tranches: quantity offered at this price or above)"
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
    fields = (
        "clearing_price", "volume", "demand", "supply", "imbalance", "proceeds", "marginal_fill_ratio",
        "demand_curve_table", "settlement_id", "settled_at",
    )
    readonly_fields = fields
    extra = 0

    @admin.display(description="demand curve (anonymised)")
    def demand_curve_table(self, result: AuctionResult):
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", result.demand_curve)
        return format_html("<table><thead><tr><th>price</th><th>quantity bid at it or above</th></tr></thead><tbody>{}</tbody></table>", rows)


class AuctionScheduleForm(forms.ModelForm):
    """The terms `auction_create` takes; its own checks decide, and their messages land on these fields."""

    market = forms.ModelChoiceField(queryset=Market.objects.filter(active=True))
    seller = forms.ModelChoiceField(queryset=Account.objects.select_related("user"))
    supply_quantity = forms.DecimalField(required=False, help_text="A fixed supply; or fill in the elastic schedule below.")
    duration_ms = forms.IntegerField(required=False, help_text="Milliseconds from the opening (600000: 10 minutes); or give closes_at.")
    closes_at = forms.DateTimeField(required=False)
    opens_at = forms.DateTimeField(required=False, help_text="Empty: now.")
    cancel_cutoff_at = forms.DateTimeField(required=False, help_text="Empty: 80 % of the way to closes_at.")
    close_window_ms = forms.IntegerField(required=False, help_text="The random end falls in it. Empty: a tenth of the duration.")
    min_bid_quantity = forms.DecimalField(required=False, help_text="Empty: one lot.")
    max_bids_per_account = forms.IntegerField(initial=services.DEFAULT_MAX_BIDS_PER_ACCOUNT)
    allow_list = forms.CharField(required=False, help_text="Account ids allowed to bid, separated by spaces or commas; empty: everyone.")
    schedule_base_quantity = forms.DecimalField(required=False, label="base quantity")
    schedule_price_floor = forms.DecimalField(required=False, label="price floor")
    schedule_price_ceiling = forms.DecimalField(required=False, label="price ceiling")
    schedule_elasticity_type = forms.ChoiceField(
        required=False, label="elasticity type", choices=[("", "---------"), *((kind, kind) for kind in ELASTICITY_TYPES)]
    )
    schedule_elasticity_factor = forms.DecimalField(required=False, label="elasticity factor")

    class Meta:
        model = Auction
        fields = ("market", "seller", "reserve_price", "supply_quantity", "allocation", "opens_at", "closes_at", "cancel_cutoff_at",
                  "close_window_ms", "min_bid_quantity", "max_bids_per_account", "max_quantity_per_account", "min_proceeds")

    user: User | None = None  # who schedules: set by AuctionAdmin.get_form
    created: Auction | None = None

    def clean(self):
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean returns (the stubs allow None)
        if self.errors:
            return data
        try:
            # The admin's add view is one transaction: the auction created here is kept only if the page saves.
            assert self.user is not None
            self.created = services.auction_create(created_by=self.user, **self._terms(data))
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                self._add_service_error(key, messages)
        except ServiceError as error:
            self.add_error("seller" if error.code in ("ACCOUNT_NOT_FOUND", "INSUFFICIENT_FUNDS") else None, error.message)
        return data

    def _terms(self, data) -> dict:
        schedule = {name: data[f"schedule_{name}"] for name in SCHEDULE_FIELDS}
        given = {name: value for name, value in data.items() if value not in (None, "") and not name.startswith("schedule_")}
        terms = {
            "symbol": data["market"].symbol,
            "seller_account_id": data["seller"].id,
            **{name: given[name] for name in given if name not in ("market", "seller", "allow_list")},
            "allow_list": data["allow_list"].replace(",", " ").split(),
        }
        if any(value not in (None, "") for value in schedule.values()):
            if not all(value not in (None, "") for value in schedule.values()):
                raise ValidationError({"supply_schedule": "Fill in every field of the elastic schedule, or none."})
            terms["supply_schedule"] = SupplySchedule(**schedule)
        return terms

    def _add_service_error(self, key: str, messages: list[str]) -> None:
        field = {"symbol": "market", "supply_schedule": None}.get(key, key.replace("supply_schedule.", "schedule_"))
        if field is not None and field not in self.fields:
            field, messages = None, [f"{key}: {message}" for message in messages]
        for message in messages:
            self.add_error(field, message)


@admin.register(Auction)
class AuctionAdmin(admin.ModelAdmin):
    form = AuctionScheduleForm
    list_display = ("id", "market", "seller", "status", "supply_quantity", "reserve_price", "clearing_price", "total_allocated", "opens_at", "closes_at")
    list_filter = ("status", "market", "allocation")
    search_fields = ("id", "seller__id", "seller__user__username")
    actions = ["cancel_auctions", "close_auctions"]
    fieldsets = (
        (None, {"fields": ("market", "seller", "reserve_price", "supply_quantity", "allocation")}),
        ("Timing", {"fields": ("opens_at", "duration_ms", "closes_at", "cancel_cutoff_at", "close_window_ms")}),
        ("Limits", {"fields": ("min_bid_quantity", "max_bids_per_account", "max_quantity_per_account", "min_proceeds", "allow_list")}),
        ("Elastic supply (instead of a fixed quantity)", {"classes": ("collapse",), "fields": [f"schedule_{name}" for name in SCHEDULE_FIELDS]}),
    )
    record_fields = (
        "id", "market", "seller", "created_by", "status", "status_reason", "allocation", "reserve_price", "tick_size", "lot_size",
        "supply_quantity", "supply_schedule", "min_bid_quantity", "max_bids_per_account", "max_quantity_per_account", "min_proceeds",
        "allow_list", "opens_at", "cancel_cutoff_at", "closes_at", "close_window_ms", "end_commitment", "revealed_end",
        "clearing_price", "total_allocated", "created_at", "ended_at", "live_page",
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})  # auction_create is told who schedules

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj is None else ((None, {"fields": self.record_fields}),)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.record_fields

    def get_inlines(self, request, obj):
        return [] if obj is None else [ResultInline, TrancheInline, BidInline]

    def save_model(self, request, obj, form, change):
        admin_object_adopt(obj, form.created)

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, f"Scheduled {obj.id}: {decimal_text(obj.supply_quantity)} {obj.market_id}, {obj.status}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:auctions_auction_change", args=[quote(obj.pk)]))  # its ladder and commitment

    def has_add_permission(self, request):
        return ADMIN in user_roles(request.user)

    def has_change_permission(self, request, obj=None):
        return False  # an auction changes only through its lifecycle and the actions

    def has_delete_permission(self, request, obj=None):
        return False

    def has_auctioneer_permission(self, request):
        return ADMIN in user_roles(request.user)

    @admin.display(description="revealed end (end_at | end_salt)")
    def revealed_end(self, auction: Auction) -> str:
        # Secret until the auction is over, for staff too: the commitment is what bidders rely on.
        if auction.status not in TERMINAL_STATUSES or auction.end_at is None:
            return "secret until the auction ends"
        return f"{isoformat(auction.end_at)} | {auction.end_salt}"

    @admin.display(description="live page")
    def live_page(self, auction: Auction):
        return format_html('<a href="/auctions/{}/">/auctions/{}/</a>', auction.id, auction.id)

    @admin.action(description="Cancel selected auctions (every reservation released)", permissions=["auctioneer"])
    def cancel_auctions(self, request, queryset):
        admin_bulk_apply(
            self, request, queryset,
            lambda auction_id: services.auction_cancel(auction_id=auction_id, cancelled_by=request.user),
            done="Cancelled {count} auction(s).",
        )

    @admin.action(description="Close selected auctions now (clear and settle the book)", permissions=["auctioneer"])
    def close_auctions(self, request, queryset):
        admin_bulk_apply(
            self, request, queryset,
            lambda auction_id: services.auction_close(auction_id=auction_id, closed_by=request.user),
            done="Closed {count} auction(s).",
        )


@admin.register(Bid)
class BidAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("id", "auction_id", "account", "arrival", "price", "quantity", "status", "allocated_quantity", "created_at")
    list_filter = ("status",)
    search_fields = ("id", "auction__id", "account__id", "account__user__username")
