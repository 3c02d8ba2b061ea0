"""Serializers of the read API: the query filters of each list, the caller's history, public market data."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kernel.errors import MoneyField
from kernel.json import plain

from .models import OrderStatus, SettlementStatus, Side, WithdrawalStatus

MAX_BOOK_DEPTH = 500
DEFAULT_BOOK_DEPTH = 20

# Query filters (kernel.inputs.query_filters reads them)


class OrderQuerySerializer(serializers.Serializer):
    symbol = serializers.CharField(required=False, max_length=32)
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    side = serializers.ChoiceField(choices=Side.choices, required=False)
    open = serializers.BooleanField(
        required=False, source="resting", help_text="true: only orders on the book (open, partially_filled); false: only finished ones."
    )
    client_order_id = serializers.CharField(required=False, max_length=64, help_text="Only the order with this client_order_id.")


class FillQuerySerializer(serializers.Serializer):
    symbol = serializers.CharField(required=False, max_length=32)
    order_id = serializers.CharField(required=False, max_length=32, help_text="Only the fills of this order of yours.")


class SettlementQuerySerializer(serializers.Serializer):
    symbol = serializers.CharField(required=False, max_length=32)
    status = serializers.ChoiceField(choices=SettlementStatus.choices, required=False)


class DepositQuerySerializer(serializers.Serializer):
    currency = serializers.CharField(required=False, max_length=16)


class WithdrawalQuerySerializer(serializers.Serializer):
    currency = serializers.CharField(required=False, max_length=16)
    status = serializers.ChoiceField(choices=WithdrawalStatus.choices, required=False)


class OrderbookQuerySerializer(serializers.Serializer):
    depth = serializers.IntegerField(
        min_value=1, max_value=MAX_BOOK_DEPTH, default=DEFAULT_BOOK_DEPTH, help_text="Price levels per side, best first."
    )


# The caller's history


class FillSerializer(serializers.Serializer):
    """One trade from the caller's side: the fields of its trade_executed event and how it was made and settled."""

    trade_id = serializers.CharField(source="id")
    order_id = serializers.CharField(help_text="The caller's order that filled.")
    symbol = serializers.CharField(source="market_id")
    side = serializers.CharField(help_text="The caller's side: buy or sell.")
    price = MoneyField()
    quantity = MoneyField()
    gross_amount = MoneyField(help_text="quantity x price, in the quote currency.")
    commission = MoneyField(help_text="The caller's fee, in fee_currency.")
    fee_currency = serializers.CharField()
    net_amount = serializers.SerializerMethodField(help_text="What the buyer paid (gross + commission) or the seller got (gross - commission).")
    liquidity = serializers.ChoiceField(choices=["maker", "taker"], help_text="maker: the caller's order was resting on the book.")
    status = serializers.CharField(help_text="executed, settled or cancelled.")
    settlement_status = serializers.CharField(help_text="pending, confirmed or failed.")
    executed_at = serializers.DateTimeField()

    @extend_schema_field(MoneyField())
    def get_net_amount(self, fill) -> Decimal:
        return plain(fill.gross_amount + fill.commission if fill.side == Side.BUY else fill.gross_amount - fill.commission)


class SettlementSerializer(serializers.Serializer):
    settlement_id = serializers.CharField(source="id")
    trade_id = serializers.CharField()
    symbol = serializers.CharField(source="trade.market_id")
    quantity = MoneyField(source="trade.quantity")
    amount = MoneyField(source="trade.gross_amount")
    status = serializers.CharField()
    dvp_transaction_id = serializers.CharField(help_text="Set once confirmed.")
    failure_reason = serializers.CharField(help_text="Set once failed.")
    settlement_date = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField(allow_null=True)


# Public market data: no account ids


class PriceLevelSerializer(serializers.Serializer):
    """A (price, quantity) level of a book, as the selectors give them."""

    price = MoneyField()
    quantity = MoneyField(help_text="Total remaining quantity of the orders at this price.")

    def to_representation(self, instance):
        price, quantity = instance
        return super().to_representation({"price": price, "quantity": quantity})


class OrderbookSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    bids = PriceLevelSerializer(many=True, help_text="Best (highest) first.")
    asks = PriceLevelSerializer(many=True, help_text="Best (lowest) first.")
    timestamp = serializers.DateTimeField()


class PublicTradeSerializer(serializers.Serializer):
    trade_id = serializers.CharField(source="id")
    symbol = serializers.CharField(source="market_id")
    price = MoneyField()
    quantity = MoneyField()
    taker_side = serializers.CharField(help_text="buy or sell: the side of the order that took liquidity.")
    executed_at = serializers.DateTimeField()


class TickerSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    last_price = MoneyField(allow_null=True)
    bid = MoneyField(allow_null=True, help_text="Best bid; null for an empty side.")
    ask = MoneyField(allow_null=True, help_text="Best ask; null for an empty side.")
    mid = MoneyField(allow_null=True)
    open_24h = MoneyField(allow_null=True, help_text="Price of the first trade of the last 24 h.")
    high_24h = MoneyField(allow_null=True)
    low_24h = MoneyField(allow_null=True)
    volume_24h = MoneyField(help_text="Base quantity traded in the last 24 h.")
    quote_volume_24h = MoneyField(help_text="Quote amount traded in the last 24 h.")
    trades_24h = serializers.IntegerField()
    change_24h = MoneyField(allow_null=True, help_text="last_price - open_24h.")
    change_percent_24h = MoneyField(allow_null=True, help_text="change_24h / open_24h x 100, to 2 places.")
    timestamp = serializers.DateTimeField()
