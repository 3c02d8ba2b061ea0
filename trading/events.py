"""The seed's trading events and the channels trading owns, each declared once.

Only the services build these (through ChangeSet.emit), so each event has one place it comes from;
the `of` constructors read exactly the documented fields from the models.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from accounts.events import ACCOUNT_NOTIFICATIONS
from streams.events import Event

from .models import Order, Settlement, Side, Trade
from .money import mid_price

ORDERS = "orders"
TRADES = "trades"
SETTLEMENTS = "settlements"
MARKET_DATA = "market_data"

# orders


class OrderCreated(Event, type="order_created", channel=ORDERS):
    account_id: str
    order_id: str
    symbol: str
    side: str
    order_type: str
    quantity: Decimal
    price: Decimal | None
    status: str
    client_order_id: str | None = None
    time_in_force: str = "gtc"
    post_only: bool = False

    @classmethod
    def of(cls, order: Order) -> "OrderCreated":
        return cls(
            account_id=order.account_id,
            order_id=order.id,
            symbol=order.market_id,
            side=order.side,
            order_type=order.order_type,
            quantity=order.quantity,
            price=order.price,
            status=order.status,
            client_order_id=client_order_id_of(order),
            time_in_force=order.time_in_force,
            post_only=order.post_only,
        )


def client_order_id_of(order: Order) -> str | None:
    """The client's id as clients read it: null when the order has none."""
    return order.client_order_id or None


class OrderUpdated(Event, type="order_updated", channel=ORDERS):
    account_id: str
    order_id: str
    status: str
    filled: Decimal
    average_fill_price: Decimal | None
    client_order_id: str | None = None

    @classmethod
    def of(cls, order: Order) -> "OrderUpdated":
        return cls(
            account_id=order.account_id,
            order_id=order.id,
            status=order.status,
            filled=order.filled,
            average_fill_price=order.average_fill_price,
            client_order_id=client_order_id_of(order),
        )


class OrderFilled(Event, type="order_filled", channel=ORDERS):
    account_id: str
    order_id: str
    quantity: Decimal
    price: Decimal | None
    fill_time: datetime
    trade_id: str
    client_order_id: str | None = None

    @classmethod
    def of(cls, order: Order, trade: Trade) -> "OrderFilled":
        return cls(
            account_id=order.account_id,
            order_id=order.id,
            quantity=order.filled,
            price=order.average_fill_price,
            fill_time=trade.executed_at,
            trade_id=trade.id,
            client_order_id=client_order_id_of(order),
        )


class OrderCancelled(Event, type="order_cancelled", channel=ORDERS):
    account_id: str
    order_id: str
    reason: str
    client_order_id: str | None = None

    @classmethod
    def of(cls, order: Order) -> "OrderCancelled":
        return cls(
            account_id=order.account_id,
            order_id=order.id,
            reason=order.status_reason,
            client_order_id=client_order_id_of(order),
        )


# trades


class TradeExecuted(Event, type="trade_executed", channel=TRADES):
    account_id: str
    trade_id: str
    order_id: str
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    commission: Decimal
    gross_amount: Decimal
    net_amount: Decimal
    executed_at: datetime

    @classmethod
    def of(cls, trade: Trade, side: str) -> "TradeExecuted":
        """One party's view: the buyer pays gross + commission, the seller receives gross - commission."""
        buying = side == Side.BUY
        return cls(
            account_id=trade.buyer_id if buying else trade.seller_id,
            trade_id=trade.id,
            order_id=trade.buy_order_id if buying else trade.sell_order_id,
            symbol=trade.market_id,
            side=side,
            quantity=trade.quantity,
            price=trade.price,
            commission=trade.commission,
            gross_amount=trade.gross_amount,
            net_amount=trade.gross_amount + trade.commission if buying else trade.gross_amount - trade.commission,
            executed_at=trade.executed_at,
        )


class TradeCancelled(Event, type="trade_cancelled", channel=TRADES):
    trade_id: str
    reason: str


# settlements


class SettlementCreated(Event, type="settlement_created", channel=SETTLEMENTS):
    settlement_id: str
    trade_id: str
    symbol: str
    quantity: Decimal
    amount: Decimal
    settlement_date: datetime

    @classmethod
    def of(cls, settlement: Settlement) -> "SettlementCreated":
        trade = settlement.trade
        return cls(
            settlement_id=settlement.id,
            trade_id=trade.id,
            symbol=trade.market_id,
            quantity=trade.quantity,
            amount=trade.gross_amount,
            settlement_date=settlement.settlement_date,
        )


class SettlementConfirmed(Event, type="settlement_confirmed", channel=SETTLEMENTS):
    settlement_id: str
    dvp_transaction_id: str


class SettlementFailed(Event, type="settlement_failed", channel=SETTLEMENTS):
    settlement_id: str
    reason: str
    error_message: str


# market_data


class PriceUpdate(Event, type="price_update", channel=MARKET_DATA):
    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    mid: Decimal | None
    last_price: Decimal | None

    @classmethod
    def of(cls, symbol: str, bid: Decimal | None, ask: Decimal | None, last: Decimal | None) -> "PriceUpdate":
        return cls(symbol=symbol, bid=bid, ask=ask, mid=mid_price(bid, ask), last_price=last)


class OrderbookUpdate(Event, type="orderbook_update", channel=MARKET_DATA):
    symbol: str
    changes: dict[str, list[dict[str, Any]]]

    @classmethod
    def of(cls, symbol: str, changes: dict[str, list[tuple[Decimal, Decimal]]]) -> "OrderbookUpdate":
        """`changes` maps bids/asks to (price, absolute quantity now at that level); 0 deletes the level."""
        return cls(
            symbol=symbol,
            changes={
                side: [
                    {"price": price, "quantity": quantity, "action": "update" if quantity else "delete"}
                    for price, quantity in levels
                ]
                for side, levels in changes.items()
            },
        )


class OrderbookSnapshot(Event, type="orderbook_snapshot", channel=MARKET_DATA):
    symbol: str
    bids: list[dict[str, Any]]
    asks: list[dict[str, Any]]

    @classmethod
    def of(
        cls, symbol: str, bids: list[tuple[Decimal, Decimal]], asks: list[tuple[Decimal, Decimal]]
    ) -> "OrderbookSnapshot":
        def levels(rows):
            return [{"price": price, "quantity": quantity} for price, quantity in rows]

        return cls(symbol=symbol, bids=levels(bids), asks=levels(asks))


# account_notifications (the channel accounts own)


class BalanceUpdated(Event, type="balance_updated", channel=ACCOUNT_NOTIFICATIONS):
    account_id: str
    total_balance: Decimal
    available_balance: Decimal
    reserved_balance: Decimal


class MarginCall(Event, type="margin_call", channel=ACCOUNT_NOTIFICATIONS):
    account_id: str
    current_margin_level: Decimal
    warning_level: Decimal
    liquidation_level: Decimal
    message: str

    @classmethod
    def of(cls, account_id: str, level: Decimal, warning: Decimal, liquidation: Decimal) -> "MarginCall":
        return cls(
            account_id=account_id,
            current_margin_level=level,
            warning_level=warning,
            liquidation_level=liquidation,
            message=f"Your margin level is below {warning * 100:.0f}%. Please add funds or reduce positions.",
        )


class DepositReceived(Event, type="deposit_received", channel=ACCOUNT_NOTIFICATIONS):
    account_id: str
    deposit_id: str
    currency: str
    amount: Decimal
    transaction_hash: str

    @classmethod
    def of(cls, deposit) -> "DepositReceived":
        return cls(
            account_id=deposit.account_id,
            deposit_id=deposit.id,
            currency=deposit.currency,
            amount=deposit.amount,
            transaction_hash=deposit.transaction_hash,
        )


class WithdrawalProcessed(Event, type="withdrawal_processed", channel=ACCOUNT_NOTIFICATIONS):
    account_id: str
    withdrawal_id: str
    currency: str
    amount: Decimal
    transaction_hash: str

    @classmethod
    def of(cls, withdrawal) -> "WithdrawalProcessed":
        return cls(
            account_id=withdrawal.account_id,
            withdrawal_id=withdrawal.id,
            currency=withdrawal.currency,
            amount=withdrawal.amount,
            transaction_hash=withdrawal.transaction_hash,
        )
