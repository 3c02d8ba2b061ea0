"""The seed's trading events, built from the models: exactly the documented fields, exact numbers.

Only the services call these (through ChangeSet.emit), so each event has one place it comes from.
"""

from decimal import Decimal
from typing import Any

from kernel.json import isoformat, plain

from .models import Order, Settlement, Side, Trade


def _number(value: Decimal | None):
    return None if value is None else plain(value)


def order_created(order: Order) -> dict[str, Any]:
    return {
        "type": "order_created",
        "account_id": order.account_id,
        "order_id": order.id,
        "symbol": order.market_id,
        "side": order.side,
        "order_type": order.order_type,
        "quantity": plain(order.quantity),
        "price": _number(order.price),
        "status": order.status,
    }


def order_updated(order: Order) -> dict[str, Any]:
    return {
        "type": "order_updated",
        "account_id": order.account_id,
        "order_id": order.id,
        "status": order.status,
        "filled": plain(order.filled),
        "average_fill_price": _number(order.average_fill_price),
    }


def order_filled(order: Order, trade: Trade) -> dict[str, Any]:
    return {
        "type": "order_filled",
        "account_id": order.account_id,
        "order_id": order.id,
        "quantity": plain(order.filled),
        "price": _number(order.average_fill_price),
        "fill_time": isoformat(trade.executed_at),
        "trade_id": trade.id,
    }


def order_cancelled(order: Order) -> dict[str, Any]:
    return {
        "type": "order_cancelled",
        "account_id": order.account_id,
        "order_id": order.id,
        "reason": order.status_reason,
    }


def trade_executed(trade: Trade, side: str) -> dict[str, Any]:
    """One party's view: the buyer pays gross + commission, the seller receives gross - commission."""
    buying = side == Side.BUY
    net = trade.gross_amount + trade.commission if buying else trade.gross_amount - trade.commission
    return {
        "type": "trade_executed",
        "account_id": trade.buyer_id if buying else trade.seller_id,
        "trade_id": trade.id,
        "order_id": trade.buy_order_id if buying else trade.sell_order_id,
        "symbol": trade.market_id,
        "side": side,
        "quantity": plain(trade.quantity),
        "price": plain(trade.price),
        "commission": plain(trade.commission),
        "gross_amount": plain(trade.gross_amount),
        "net_amount": plain(net),
        "executed_at": isoformat(trade.executed_at),
    }


def trade_cancelled(trade: Trade, reason: str) -> dict[str, Any]:
    return {"type": "trade_cancelled", "trade_id": trade.id, "reason": reason}


def settlement_created(settlement: Settlement) -> dict[str, Any]:
    trade = settlement.trade
    return {
        "type": "settlement_created",
        "settlement_id": settlement.id,
        "trade_id": trade.id,
        "symbol": trade.market_id,
        "quantity": plain(trade.quantity),
        "amount": plain(trade.gross_amount),
        "settlement_date": isoformat(settlement.settlement_date),
    }


def settlement_confirmed(settlement: Settlement) -> dict[str, Any]:
    return {
        "type": "settlement_confirmed",
        "settlement_id": settlement.id,
        "dvp_transaction_id": settlement.dvp_transaction_id,
    }


def settlement_failed(settlement: Settlement) -> dict[str, Any]:
    return {
        "type": "settlement_failed",
        "settlement_id": settlement.id,
        "reason": settlement.failure_reason,
        "error_message": settlement.error_message,
    }


def price_update(symbol: str, bid: Decimal | None, ask: Decimal | None, last: Decimal | None) -> dict[str, Any]:
    mid = (bid + ask) / 2 if bid is not None and ask is not None else None
    return {
        "type": "price_update",
        "symbol": symbol,
        "bid": _number(bid),
        "ask": _number(ask),
        "mid": _number(mid),
        "last_price": _number(last),
    }


def orderbook_update(symbol: str, changes: dict[str, list[tuple[Decimal, Decimal]]]) -> dict[str, Any]:
    """`changes` maps bids/asks to (price, absolute quantity now at that level); 0 deletes the level."""
    return {
        "type": "orderbook_update",
        "symbol": symbol,
        "changes": {
            side: [
                {"price": plain(price), "quantity": plain(quantity), "action": "update" if quantity else "delete"}
                for price, quantity in levels
            ]
            for side, levels in changes.items()
        },
    }


def orderbook_snapshot(symbol: str, bids: list[tuple[Decimal, Decimal]], asks: list[tuple[Decimal, Decimal]]):
    def levels(rows):
        return [{"price": plain(price), "quantity": plain(quantity)} for price, quantity in rows]

    return {"type": "orderbook_snapshot", "symbol": symbol, "bids": levels(bids), "asks": levels(asks)}


def balance_updated(account_id: str, total: Decimal, available: Decimal, reserved: Decimal) -> dict[str, Any]:
    return {
        "type": "balance_updated",
        "account_id": account_id,
        "total_balance": plain(total),
        "available_balance": plain(available),
        "reserved_balance": plain(reserved),
    }


def margin_call(account_id: str, level: Decimal, warning: Decimal, liquidation: Decimal) -> dict[str, Any]:
    return {
        "type": "margin_call",
        "account_id": account_id,
        "current_margin_level": plain(level),
        "warning_level": plain(warning),
        "liquidation_level": plain(liquidation),
        "message": f"Your margin level is below {warning * 100:.0f}%. Please add funds or reduce positions.",
    }


def deposit_received(deposit) -> dict[str, Any]:
    return {
        "type": "deposit_received",
        "account_id": deposit.account_id,
        "deposit_id": deposit.id,
        "currency": deposit.currency,
        "amount": plain(deposit.amount),
        "transaction_hash": deposit.transaction_hash,
    }


def withdrawal_processed(withdrawal) -> dict[str, Any]:
    return {
        "type": "withdrawal_processed",
        "account_id": withdrawal.account_id,
        "withdrawal_id": withdrawal.id,
        "currency": withdrawal.currency,
        "amount": plain(withdrawal.amount),
        "transaction_hash": withdrawal.transaction_hash,
    }
