from datetime import datetime
from decimal import Decimal

from rest_framework import serializers

from kernel.errors import MoneyField
from streams.events import Event, field_types, optional_of

from .checks import MAX_DURATION_MS
from .clearing import ALLOCATIONS, ELASTICITY_TYPES, SupplySchedule
from .events import AuctionUpdate, BidAccepted
from .models import AuctionStatus


def _input_amount(**kwargs) -> MoneyField:
    """An exact amount as clients send it: the service says what is wrong with it (zero, off-grid, too large)."""
    return MoneyField(max_digits=40, decimal_places=8, **kwargs)


class AuctionQuerySerializer(serializers.Serializer):
    """The auction list's filters (kernel.inputs.query_filters reads them); an empty symbol: every market."""

    status = serializers.ChoiceField(choices=AuctionStatus.choices, required=False)
    symbol = serializers.CharField(required=False, allow_blank=True, max_length=32)


class SupplyScheduleSerializer(serializers.Serializer):
    base_quantity = _input_amount()
    price_floor = _input_amount()
    price_ceiling = _input_amount()
    elasticity_type = serializers.ChoiceField(choices=ELASTICITY_TYPES)
    elasticity_factor = _input_amount()

    def to_internal_value(self, data):
        return SupplySchedule(**super().to_internal_value(data))


class AuctionCreateSerializer(serializers.Serializer):
    symbol = serializers.CharField(max_length=32)
    seller_account_id = serializers.CharField(max_length=32)
    supply_quantity = _input_amount(required=False)
    supply_schedule = SupplyScheduleSerializer(required=False)
    reserve_price = _input_amount()
    opens_at = serializers.DateTimeField(required=False)
    closes_at = serializers.DateTimeField(required=False)
    duration_ms = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DURATION_MS)
    cancel_cutoff_at = serializers.DateTimeField(required=False, help_text="Default: 80 % of the way to closes_at.")
    close_window_ms = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_DURATION_MS, help_text="Default: a tenth of the duration."
    )
    allocation = serializers.ChoiceField(choices=ALLOCATIONS, required=False)
    min_bid_quantity = _input_amount(required=False)
    max_bids_per_account = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    max_quantity_per_account = _input_amount(required=False)
    min_proceeds = _input_amount(required=False)
    allow_list = serializers.ListField(child=serializers.CharField(max_length=32), required=False, max_length=10_000)


class TrancheSerializer(serializers.Serializer):
    price = MoneyField()
    quantity = MoneyField()


class BidCreateSerializer(serializers.Serializer):
    quantity = _input_amount()
    price = _input_amount()
    client_bid_id = serializers.CharField(required=False, max_length=64)


class BidRaiseSerializer(serializers.Serializer):
    quantity = _input_amount(required=False)
    price = _input_amount(required=False)

    def validate(self, data):
        if not data:
            raise serializers.ValidationError("Give a higher price, a larger quantity, or both.")
        return data


# Response schemas for the OpenAPI document, generated from the event declarations the bodies are built
# from (the REST body of an auction is auction_update's payload, of a bid bid_accepted's), so they cannot drift.

_FIELDS = {Decimal: MoneyField, datetime: serializers.DateTimeField, str: serializers.CharField, int: serializers.IntegerField, bool: serializers.BooleanField}


def payload_serializer(event: type[Event], name: str, **extra: serializers.Field) -> type[serializers.Serializer]:
    fields: dict[str, serializers.Field] = {}
    for field_name, annotation in field_types(event).items():
        inner = optional_of(annotation)
        nullable = inner is not annotation
        kind = _FIELDS.get(inner)
        fields[field_name] = kind(allow_null=nullable) if kind else serializers.ListField(child=serializers.CharField())
    return type(name, (serializers.Serializer,), {**fields, **extra})


AuctionSerializer = payload_serializer(
    AuctionUpdate,
    "AuctionSerializer",
    seller_account_id=serializers.CharField(),
    allocation=serializers.ChoiceField(choices=ALLOCATIONS),
    tick_size=MoneyField(),
    lot_size=MoneyField(),
    supply_quantity=MoneyField(),
    supply_schedule=serializers.JSONField(allow_null=True),
    ladder=TrancheSerializer(many=True),
    min_bid_quantity=MoneyField(),
    max_bids_per_account=serializers.IntegerField(),
    max_quantity_per_account=MoneyField(allow_null=True),
    min_proceeds=MoneyField(allow_null=True),
    invitation_only=serializers.BooleanField(),
    close_window_ms=serializers.IntegerField(),
    status_reason=serializers.CharField(allow_null=True),
    created_at=serializers.DateTimeField(),
)
BidSerializer = payload_serializer(BidAccepted, "BidSerializer", timestamp=serializers.DateTimeField())


class BidCancelledSerializer(serializers.Serializer):
    bid_id = serializers.CharField()
    status = serializers.CharField()
    cancelled_at = serializers.DateTimeField()


class ResultBidSerializer(serializers.Serializer):
    arrival = serializers.IntegerField()
    price = MoneyField()
    quantity = MoneyField()
    allocated_quantity = MoneyField()


class DemandLevelSerializer(serializers.Serializer):
    price = MoneyField()
    quantity = MoneyField(help_text="Quantity bid at this price or above.")


class AuctionResultSerializer(serializers.Serializer):
    auction_id = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.CharField(allow_null=True)
    clearing_price = MoneyField(allow_null=True)
    total_allocated = MoneyField()
    demand = MoneyField()
    supply = MoneyField()
    imbalance = MoneyField()
    proceeds = MoneyField()
    fill_ratio_at_margin = MoneyField(allow_null=True)
    reserve_price = MoneyField()
    lot_size = MoneyField()
    allocation = serializers.CharField()
    ladder = TrancheSerializer(many=True)
    demand_curve = DemandLevelSerializer(many=True)
    bids = ResultBidSerializer(many=True)
    end_at = serializers.DateTimeField(allow_null=True)
    end_salt = serializers.CharField(allow_null=True)
    end_commitment = serializers.CharField(allow_null=True)
    commitment_rule = serializers.CharField()
    settlement_id = serializers.CharField(allow_null=True)
    settled_at = serializers.DateTimeField()
