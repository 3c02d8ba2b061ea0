"""Real declared events for transport tests that only need *some* event on a channel.

`note` lands in a free-text field, so a test can tell its events apart (and wait for one of them).
"""

from decimal import Decimal

from accounts.events import ACCOUNT_NOTIFICATIONS
from compliance.events import COMPLIANCE_EVENTS, SuspiciousActivityDetected
from kernel.ids import new_id
from operations.events import SYSTEM_HEALTH, ServiceDegraded
from streams.events import Event
from trading.events import (
    MARKET_DATA,
    ORDERS,
    SETTLEMENTS,
    TRADES,
    MarginCall,
    OrderCancelled,
    PriceUpdate,
    SettlementFailed,
    TradeCancelled,
)

# The type of each channel's sample event and the field that carries the note.
SAMPLE_TYPES = {
    ORDERS: ("order_cancelled", "reason"),
    TRADES: ("trade_cancelled", "reason"),
    SETTLEMENTS: ("settlement_failed", "error_message"),
    ACCOUNT_NOTIFICATIONS: ("margin_call", "message"),
    COMPLIANCE_EVENTS: ("suspicious_activity_detected", "description"),
    SYSTEM_HEALTH: ("service_degraded", "message"),
}


def sample_event(channel: str, key: str = "", note: str = "sample") -> Event:
    """An event of `channel` for the stream `key` (an account id or a symbol, "" for broadcasts)."""
    if channel == ORDERS:
        return OrderCancelled(account_id=key, order_id=new_id("ord"), reason=note)
    if channel == TRADES:
        return TradeCancelled(trade_id=new_id("trd"), reason=note)
    if channel == SETTLEMENTS:
        return SettlementFailed(settlement_id=new_id("set"), reason="ledger_rejected", error_message=note)
    if channel == ACCOUNT_NOTIFICATIONS:
        level = Decimal("0.5")
        return MarginCall(
            account_id=key, current_margin_level=level, warning_level=level, liquidation_level=level, message=note
        )
    if channel == MARKET_DATA:
        return PriceUpdate.of(key, None, None, None)
    if channel == COMPLIANCE_EVENTS:
        return SuspiciousActivityDetected(
            event_id=new_id("evt"),
            alert_id=new_id("alr"),
            account_id=new_id("acc"),
            activity_type="wash_trading",
            severity="low",
            description=note,
            action_required=False,
        )
    if channel == SYSTEM_HEALTH:
        return ServiceDegraded(service="matching_engine", status="degraded", message=note)
    raise ValueError(f"no sample event for {channel}")


def note_of(message: dict) -> str:
    """The note of a delivered sample event."""
    return message[SAMPLE_TYPES[message["channel"]][1]]
