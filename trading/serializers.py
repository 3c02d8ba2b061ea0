from rest_framework import serializers

from kernel.errors import MoneyField

from .events import client_order_id_of
from .models import CLIENT_ORDER_ID_PATTERN, OrderType, Side, TimeInForce
from .services import MAX_AMOUNT, MAX_CANCEL_ALL_AFTER_S


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
    client_order_id = serializers.RegexField(
        CLIENT_ORDER_ID_PATTERN,
        max_length=64,
        required=False,
        trim_whitespace=False,
        error_messages={"invalid": "1 to 64 characters of A-Z, a-z, 0-9, _ and -."},
        help_text="Your id for the order, unique per account: a retry with it answers the original order (200).",
    )
    time_in_force = serializers.ChoiceField(
        choices=TimeInForce.choices, required=False, help_text="gtc (default; market orders: ioc), ioc or fok."
    )
    post_only = serializers.BooleanField(
        required=False, help_text="Refused with POST_ONLY_WOULD_CROSS, nothing placed, if it would trade on arrival."
    )


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
    client_order_id = serializers.SerializerMethodField()
    time_in_force = serializers.CharField()
    post_only = serializers.BooleanField()
    filled = MoneyField()
    average_fill_price = MoneyField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_client_order_id(self, order) -> str | None:
        return client_order_id_of(order)


class OrderCancelledSerializer(serializers.Serializer):
    order_id = serializers.CharField(source="id")
    status = serializers.CharField()


class OrdersCancelledSerializer(serializers.Serializer):
    cancelled = serializers.ListField(child=serializers.CharField(), help_text="The ids of the orders cancelled.")
    count = serializers.IntegerField()


class CancelAllAfterSerializer(serializers.Serializer):
    timeout_s = serializers.IntegerField(
        min_value=0, max_value=MAX_CANCEL_ALL_AFTER_S, help_text="Seconds until every open order is cancelled; 0 turns it off."
    )


class CancelAllAfterStateSerializer(serializers.Serializer):
    current_time = serializers.DateTimeField()
    trigger_time = serializers.DateTimeField(allow_null=True, help_text="null: the switch is off.")


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
