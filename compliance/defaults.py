"""The default surveillance rules, SLAs and tier limits: created by a data migration, then edited in the admin."""

from decimal import Decimal

DEFAULT_RULES = [
    # code, kind, name, severity, threshold, window_seconds, parameters
    (
        "velocity", "velocity", "Order velocity", "medium", Decimal("50"), 120,
        {"baseline_multiplier": 10, "baseline_days": 7, "baseline_min_orders": 20},
    ),
    ("large_transaction", "large_transaction", "Large transaction", "high", None, 60, {}),
    (
        "structuring", "structuring", "Structuring under the large-transaction threshold", "high",
        Decimal("3"), 86400, {"band": "0.9"},
    ),
    ("wash_trading", "wash_trading", "Trades between accounts of one owner", "high", Decimal("1"), 86400, {}),
    ("self_trade_attempts", "self_trade_attempts", "Repeated self-trade attempts", "medium", Decimal("5"), 3600, {}),
    (
        "spoofing", "spoofing", "Spoofing: many orders placed and cancelled", "high", Decimal("20"), 300,
        {"cancel_ratio": "0.9"},
    ),
    ("layering", "layering", "Layering: levels cancelled after a trade on the other side", "high", Decimal("3"), 60, {}),
]
SLA_HOURS = {"critical": 4, "high": 24, "medium": 72, "low": 168}
# Per currency over 24 hours; tier_3 has no cap (CONTRACT.md).
DAILY_WITHDRAWAL_LIMITS = {
    "tier_0": Decimal("10000"),
    "tier_1": Decimal("100000"),
    "tier_2": Decimal("1000000"),
    "tier_3": None,
}


def defaults_create(*, rule_model, sla_model, tier_limit_model) -> None:
    """Missing defaults only; takes the model classes so the data migration can pass its historical ones."""
    for code, kind, name, severity, threshold, window, parameters in DEFAULT_RULES:
        rule_model.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind, "name": name, "severity": severity, "threshold": threshold,
                "window_seconds": window, "parameters": parameters,
            },
        )
    for severity, hours in SLA_HOURS.items():
        sla_model.objects.get_or_create(severity=severity, defaults={"hours": hours})
    for tier, limit in DAILY_WITHDRAWAL_LIMITS.items():
        tier_limit_model.objects.get_or_create(tier=tier, defaults={"daily_withdrawal_limit": limit})
