"""Typed events: one dataclass per documented event type, plus the client's own notices.

Every delivered event carries the envelope (`channel`, `sequence`, `timestamp`, `snapshot`) and the message
as received (`raw`, where fields added by newer servers are found). Types this client does not know are
passed through as the message dict itself. Decimal fields are `Decimal`, times are aware `datetime`s.
"""

import dataclasses
import typing
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import NoneType, UnionType
from typing import Any, ClassVar


@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[str]
    channel: str
    sequence: int | None = None
    timestamp: datetime | None = None
    snapshot: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


# orders


@dataclass(frozen=True, kw_only=True)
class OrderCreated(Event):
    type = "order_created"
    account_id: str
    order_id: str
    symbol: str
    side: str
    order_type: str
    quantity: Decimal
    price: Decimal | None
    status: str
    client_order_id: str | None = None  # defaults: servers before the bot API sent none of these three
    time_in_force: str = "gtc"
    post_only: bool = False


@dataclass(frozen=True, kw_only=True)
class OrderUpdated(Event):
    type = "order_updated"
    account_id: str
    order_id: str
    status: str
    filled: Decimal
    average_fill_price: Decimal | None
    client_order_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class OrderFilled(Event):
    type = "order_filled"
    account_id: str
    order_id: str
    quantity: Decimal
    price: Decimal | None
    fill_time: datetime
    trade_id: str
    client_order_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(Event):
    type = "order_cancelled"
    account_id: str
    order_id: str
    reason: str
    client_order_id: str | None = None


# trades


@dataclass(frozen=True, kw_only=True)
class TradeExecuted(Event):
    type = "trade_executed"
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


@dataclass(frozen=True, kw_only=True)
class TradeCancelled(Event):
    type = "trade_cancelled"
    trade_id: str
    reason: str


# settlements


@dataclass(frozen=True, kw_only=True)
class SettlementCreated(Event):
    type = "settlement_created"
    settlement_id: str
    trade_id: str
    symbol: str
    quantity: Decimal
    amount: Decimal
    settlement_date: datetime


@dataclass(frozen=True, kw_only=True)
class SettlementConfirmed(Event):
    type = "settlement_confirmed"
    settlement_id: str
    dvp_transaction_id: str


@dataclass(frozen=True, kw_only=True)
class SettlementFailed(Event):
    type = "settlement_failed"
    settlement_id: str
    reason: str
    error_message: str


# market_data


@dataclass(frozen=True, kw_only=True)
class PriceUpdate(Event):
    type = "price_update"
    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    mid: Decimal | None
    last_price: Decimal | None


@dataclass(frozen=True, kw_only=True)
class OrderbookUpdate(Event):
    type = "orderbook_update"
    symbol: str
    changes: dict[str, list[dict[str, Any]]]


@dataclass(frozen=True, kw_only=True)
class OrderbookSnapshot(Event):
    type = "orderbook_snapshot"
    symbol: str
    bids: list[dict[str, Any]]
    asks: list[dict[str, Any]]


# account_notifications


@dataclass(frozen=True, kw_only=True)
class BalanceUpdated(Event):
    type = "balance_updated"
    account_id: str
    total_balance: Decimal
    available_balance: Decimal
    reserved_balance: Decimal


@dataclass(frozen=True, kw_only=True)
class MarginCall(Event):
    type = "margin_call"
    account_id: str
    current_margin_level: Decimal
    warning_level: Decimal
    liquidation_level: Decimal
    message: str


@dataclass(frozen=True, kw_only=True)
class DepositReceived(Event):
    type = "deposit_received"
    account_id: str
    deposit_id: str
    currency: str
    amount: Decimal
    transaction_hash: str


@dataclass(frozen=True, kw_only=True)
class WithdrawalProcessed(Event):
    type = "withdrawal_processed"
    account_id: str
    withdrawal_id: str
    currency: str
    amount: Decimal
    transaction_hash: str


# compliance_events


@dataclass(frozen=True, kw_only=True)
class SuspiciousActivityDetected(Event):
    type = "suspicious_activity_detected"
    event_id: str
    alert_id: str
    account_id: str
    activity_type: str
    severity: str
    description: str
    action_required: bool


@dataclass(frozen=True, kw_only=True)
class LargeTransactionAlert(Event):
    type = "large_transaction_alert"
    alert_id: str
    account_id: str
    transaction_type: str
    amount: Decimal
    threshold: Decimal


@dataclass(frozen=True, kw_only=True)
class KycStatusChanged(Event):
    type = "kyc_status_changed"
    account_id: str
    new_status: str
    previous_status: str
    kyc_tier: str


@dataclass(frozen=True, kw_only=True)
class AlertUpdated(Event):
    type = "alert_updated"
    alert_id: str
    account_id: str
    alert_type: str
    severity: str
    change: str
    status: str
    previous_status: str
    disposition: str | None
    assignee: str | None
    due_at: datetime
    changed_by: str


# system_health


@dataclass(frozen=True, kw_only=True)
class SystemStatus(Event):
    type = "system_status"
    status: str
    all_services_healthy: bool


@dataclass(frozen=True, kw_only=True)
class ServiceDegraded(Event):
    type = "service_degraded"
    service: str
    status: str
    message: str


@dataclass(frozen=True, kw_only=True)
class MaintenanceNotice(Event):
    type = "maintenance_notice"
    service: str
    start_time: datetime
    end_time: datetime
    description: str


# What the client itself tells the application (not server events).


@dataclass(frozen=True, kw_only=True)
class Connected:
    """Authenticated and subscribed again (`reconnect` is False the first time)."""

    reconnect: bool
    account_id: str | None


@dataclass(frozen=True, kw_only=True)
class Disconnected:
    """The connection broke; the client reconnects after `retry_in_s` (None: it stopped for good)."""

    code: int | None
    reason: str
    retry_in_s: float | None


@dataclass(frozen=True, kw_only=True)
class ResyncRequired:
    """Events of this stream may be lost: reload its state over REST, then apply what follows.

    `reason` is the server's (`window_exceeded`, `ahead`) or `position_unknown` (a stream that had delivered no
    event yet when the connection broke, so there was no sequence to resume from). `sequence` is the stream's
    position now, when the server said it.
    """

    channel: str
    key: str | None
    reason: str
    sequence: int | None
    hint: str | None


@dataclass(frozen=True, kw_only=True)
class ServerError:
    """An `error` message: a refused request (the connection stays unless `closing`)."""

    code: str
    message: str
    details: dict[str, Any]
    correlation_id: Any = None

    @property
    def closing(self) -> bool:
        return bool(self.details.get("closing"))


EVENT_TYPES: dict[str, type[Event]] = {cls.type: cls for cls in Event.__subclasses__()}
ENVELOPE = frozenset(f.name for f in dataclasses.fields(Event))


def parse_event(message: dict[str, Any]) -> Event | dict[str, Any]:
    """The typed event for a server message, or the message itself when its type is unknown here."""
    cls = EVENT_TYPES.get(message.get("type", ""))
    if cls is None:
        return message
    values = {name: _convert(kind, message.get(name)) for name, kind in _field_kinds(cls).items() if name in message}
    values.setdefault("channel", message.get("channel", ""))
    return cls(**values, raw=message)


_kinds_cache: dict[type, dict[str, Any]] = {}


def _field_kinds(cls: type[Event]) -> dict[str, Any]:
    if cls not in _kinds_cache:
        hints = typing.get_type_hints(cls)
        _kinds_cache[cls] = {f.name: _optional_of(hints[f.name]) for f in dataclasses.fields(cls) if f.name != "raw"}
    return _kinds_cache[cls]


def _optional_of(annotation: Any) -> Any:
    if isinstance(annotation, UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [m for m in typing.get_args(annotation) if m is not NoneType]
        if len(members) == 1:
            return members[0]
    return annotation


def _convert(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    if kind is Decimal and isinstance(value, int):  # a whole number arrives as an int
        return Decimal(value)
    if kind is datetime and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value
