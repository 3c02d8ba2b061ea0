from rest_framework import serializers

from kernel.errors import MoneyField

from .models import OrderType, Side
from .services import MAX_AMOUNT


def _input_amount(**kwargs) -> MoneyField:
    """An exact positive amount as clients send it: below 10^12, at most 8 decimal places."""
    return MoneyField(max_digits=20, decimal_places=8, min_value=0, max_value=MAX_AMOUNT, **kwargs)


class BalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    total = MoneyField()
    available = MoneyField()
    reserved = MoneyField()


class AccountMeSerializer(serializers.Serializer):
    account_id = serializers.CharField(source="id")
    username = serializers.CharField(source="user.username")
    kyc_status = serializers.CharField()
    kyc_tier = serializers.CharField()
    balances = BalanceSerializer(many=True)


class MarketSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    base = serializers.CharField()
    quote = serializers.CharField()
    tick_size = MoneyField()
    lot_size = MoneyField()
    last_price = MoneyField(allow_null=True)


class OrderCreateSerializer(serializers.Serializer):
    symbol = serializers.CharField(max_length=32)
    side = serializers.ChoiceField(choices=Side.choices)
    order_type = serializers.ChoiceField(choices=OrderType.choices)
    quantity = _input_amount()
    price = _input_amount(required=False, allow_null=True, help_text="Required for limit orders, absent for market orders.")


class OrderSerializer(serializers.Serializer):
    order_id = serializers.CharField(source="id")
    account_id = serializers.CharField()
    symbol = serializers.CharField(source="market_id")
    side = serializers.CharField()
    order_type = serializers.CharField()
    quantity = MoneyField()
    price = MoneyField(allow_null=True)
    status = serializers.CharField()
    status_reason = serializers.CharField(help_text="Why the order was cancelled or rejected; empty otherwise.")
    filled = MoneyField()
    average_fill_price = MoneyField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class OrderCancelledSerializer(serializers.Serializer):
    order_id = serializers.CharField(source="id")
    status = serializers.CharField()


class WithdrawalCreateSerializer(serializers.Serializer):
    currency = serializers.CharField(max_length=16)
    amount = _input_amount()
    address = serializers.CharField(max_length=200)


class WithdrawalSerializer(serializers.Serializer):
    withdrawal_id = serializers.CharField(source="id")
    account_id = serializers.CharField()
    currency = serializers.CharField()
    amount = MoneyField()
    address = serializers.CharField()
    status = serializers.CharField(help_text="pending, then processed or failed.")
    transaction_hash = serializers.CharField(help_text="Set once processed.")
    failure_reason = serializers.CharField(help_text="Why it failed; empty otherwise.")
    created_at = serializers.DateTimeField()
    processed_at = serializers.DateTimeField(allow_null=True, help_text="When it was processed or failed.")


class DepositCreateSerializer(serializers.Serializer):
    account_id = serializers.CharField(max_length=32)
    currency = serializers.CharField(max_length=16)
    amount = _input_amount()
    transaction_hash = serializers.CharField(max_length=200)


class DepositSerializer(serializers.Serializer):
    deposit_id = serializers.CharField(source="id")
    account_id = serializers.CharField()
    currency = serializers.CharField()
    amount = MoneyField()
    transaction_hash = serializers.CharField()
    created_at = serializers.DateTimeField()
