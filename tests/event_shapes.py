"""Every event type of the WebSocket API (seeds/000) with exactly its documented fields.

Delivered events also carry `channel` and `sequence` (CONTRACT.md). `assert_event_shape` checks an
event against this table: every documented field present, nothing undocumented, ids well formed.
"""

import re

DELIVERY_FIELDS = {"type", "channel", "sequence", "timestamp"}

EVENT_FIELDS: dict[str, set[str]] = {
    # orders
    "order_created": {"account_id", "order_id", "symbol", "side", "order_type", "quantity", "price", "status"},
    "order_updated": {"account_id", "order_id", "status", "filled", "average_fill_price"},
    "order_filled": {"account_id", "order_id", "quantity", "price", "fill_time", "trade_id"},
    "order_cancelled": {"account_id", "order_id", "reason"},
    # trades
    "trade_executed": {
        "account_id", "trade_id", "order_id", "symbol", "side", "quantity", "price",
        "commission", "gross_amount", "net_amount", "executed_at",
    },
    "trade_cancelled": {"trade_id", "reason"},
    # market_data
    "price_update": {"symbol", "bid", "ask", "mid", "last_price"},
    "orderbook_update": {"symbol", "changes"},
    # settlements
    "settlement_created": {"settlement_id", "trade_id", "symbol", "quantity", "amount", "settlement_date"},
    "settlement_confirmed": {"settlement_id", "dvp_transaction_id"},
    "settlement_failed": {"settlement_id", "reason", "error_message"},
    # account_notifications
    "balance_updated": {"account_id", "total_balance", "available_balance", "reserved_balance"},
    "margin_call": {"account_id", "current_margin_level", "warning_level", "liquidation_level", "message"},
    "deposit_received": {"account_id", "deposit_id", "currency", "amount", "transaction_hash"},
    "withdrawal_processed": {"account_id", "withdrawal_id", "currency", "amount", "transaction_hash"},
    # compliance_events
    "suspicious_activity_detected": {
        "event_id", "account_id", "activity_type", "severity", "description", "action_required",
    },
    "kyc_status_changed": {"account_id", "new_status", "previous_status", "kyc_tier"},
    "large_transaction_alert": {"alert_id", "account_id", "transaction_type", "amount", "threshold"},
    # system_health
    "system_status": {"status", "all_services_healthy"},
    "service_degraded": {"service", "status", "message"},
    "maintenance_notice": {"service", "start_time", "end_time", "description"},
}

# Fields this project adds to a seed event, each documented in the README's WebSocket reference.
EXTRA_FIELDS: dict[str, set[str]] = {}

# --- compliance (README, "Compliance"): the alert behind an event, and the alert_updated event ---
EXTRA_FIELDS["suspicious_activity_detected"] = {"alert_id"}
EVENT_FIELDS["alert_updated"] = {
    "alert_id", "account_id", "alert_type", "severity", "change", "status", "previous_status",
    "disposition", "assignee", "due_at", "changed_by",
}
# --- end compliance ---

ID_PATTERNS = {
    "account_id": r"acc_[0-9a-f]{16}",
    "order_id": r"ord_[0-9a-f]{16}",
    "trade_id": r"trd_[0-9a-f]{16}",
    "settlement_id": r"set_[0-9a-f]{16}",
    "deposit_id": r"dep_[0-9a-f]{16}",
    "withdrawal_id": r"wth_[0-9a-f]{16}",
    "alert_id": r"alr_[0-9a-f]{16}",
    "event_id": r"evt_[0-9a-f]{16}",
    "dvp_transaction_id": r"dvp_tx_[0-9a-f]+",
}
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def assert_event_shape(event: dict) -> None:
    kind = event["type"]
    assert kind in EVENT_FIELDS, f"{kind} is not an event type of the API"
    expected = EVENT_FIELDS[kind] | DELIVERY_FIELDS | EXTRA_FIELDS.get(kind, set())
    assert set(event) == expected, (
        f"{kind}: missing {sorted(expected - set(event))}, undocumented {sorted(set(event) - expected)}"
    )
    assert isinstance(event["sequence"], int) and event["sequence"] >= 1
    assert TIMESTAMP.fullmatch(event["timestamp"]), event["timestamp"]
    for field, pattern in ID_PATTERNS.items():
        if field in event:
            assert re.fullmatch(pattern, event[field]), f"{kind}.{field} = {event[field]!r}"
