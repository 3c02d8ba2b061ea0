from rest_framework import serializers

from kernel.errors import MoneyField

from .clearing import ALLOCATIONS, ELASTICITY_TYPES, SupplySchedule
from .checks import MAX_DURATION_MS


def _input_amount(**kwargs) -> MoneyField:
    """An exact amount as clients send it: the service says what is wrong with it (zero, off-grid, too large)."""
    return MoneyField(max_digits=40, decimal_places=8, **kwargs)


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
