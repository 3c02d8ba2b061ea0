"""Spoofing (many orders placed and cancelled) and layering (levels on one side cancelled after a trade on the
other): rules stored as data like the others, each firing at its threshold and not below."""

from decimal import Decimal

import pytest

from compliance.models import Alert, AlertType, SurveillanceRule, SurveillanceTask
from compliance.surveillance import surveillance_run_pending
from tests.compliance.test_rules import after_commit, alerts, fund, place  # noqa: F401  (after_commit: fixture)
from trading.models import Order, OrderStatus
from trading.services import order_cancel

pytestmark = pytest.mark.django_db


def cancel(after_commit, orders) -> None:
    for order in orders:
        after_commit(order_cancel, order_id=order.id, account_id=order.account_id)


def resting(user, side: str) -> list[Order]:
    return list(Order.objects.filter(account=user.account, side=side, status=OrderStatus.OPEN).order_by("price", "created_at"))


def test_the_rules_are_data_with_defaults(rules):
    spoofing, layering = rules["spoofing"], rules["layering"]
    assert (spoofing.kind, spoofing.threshold, spoofing.window_seconds, spoofing.parameters) == (
        "spoofing", Decimal("20"), 300, {"cancel_ratio": "0.9"}
    )
    assert (layering.kind, layering.threshold, layering.window_seconds) == ("layering", Decimal("3"), 60)
    spoofing.parameters = {"cancel_ratio": "1.5"}
    with pytest.raises(Exception, match="cancel_ratio"):
        spoofing.full_clean()


def test_spoofing_fires_at_its_threshold_of_cancellations_not_below(rules, markets, trader, after_commit):
    SurveillanceRule.objects.filter(code="spoofing").update(threshold=Decimal("5"))
    fund(after_commit, trader, "USDC", "100")
    place(after_commit, trader, 5, price="1")
    orders = resting(trader, "buy")
    cancel(after_commit, orders[:4])
    assert alerts(trader, AlertType.SPOOFING) == []
    cancel(after_commit, orders[4:])
    (alert,) = alerts(trader, AlertType.SPOOFING)
    assert alert.rule_id == "spoofing" and alert.severity == "high"
    assert (alert.facts["cancelled"], alert.facts["placed"]) == (5, 5)
    assert alert.description.startswith("Trader cancelled 5 of 5 orders placed in 5 minutes")


def test_a_cancellation_is_queued_and_checked_by_the_surveillance_job(rules, markets, trader, after_commit):
    """Like every rule, spoofing runs in the background job over the durable queue, not in the cancel request."""
    SurveillanceRule.objects.filter(code="spoofing").update(threshold=Decimal("1"))
    fund(after_commit, trader, "USDC", "100")
    place(after_commit, trader, 1, price="1")
    (order,) = resting(trader, "buy")
    order_cancel(order_id=order.id, account_id=order.account_id)
    assert list(SurveillanceTask.objects.values_list("kind", "subject_id")) == [("order_cancelled", order.id)]
    assert alerts(trader, AlertType.SPOOFING) == []  # nothing ran in the request
    assert surveillance_run_pending() == 1
    (alert,) = alerts(trader, AlertType.SPOOFING)
    assert (alert.facts["cancelled"], alert.facts["placed"]) == (1, 1)


def test_cancellations_among_many_kept_orders_are_not_spoofing(rules, markets, trader, after_commit):
    SurveillanceRule.objects.filter(code="spoofing").update(threshold=Decimal("5"))
    fund(after_commit, trader, "USDC", "100")
    place(after_commit, trader, 6, price="1")
    cancel(after_commit, resting(trader, "buy")[:5])  # 5 of 6: below the 0.9 cancel ratio
    assert alerts(trader, AlertType.SPOOFING) == []
    SurveillanceRule.objects.filter(code="spoofing").update(parameters={"cancel_ratio": "0.8"})
    place(after_commit, trader, 1, price="1")
    cancel(after_commit, resting(trader, "buy"))  # 7 of 7 cancelled
    assert len(alerts(trader, AlertType.SPOOFING)) == 1


def layer_and_trade(after_commit, trader, other_trader, levels: int) -> None:
    """The trader rests sells at 101, 102, ... then buys at 100 from the other trader's resting sell."""
    fund(after_commit, trader, "AAPL", str(levels))
    fund(after_commit, trader, "USDC", "1000")
    fund(after_commit, other_trader, "AAPL", "1")
    place(after_commit, other_trader, 1, side="sell", price="100")
    for level in range(levels):
        place(after_commit, trader, 1, side="sell", price=str(101 + level))
    place(after_commit, trader, 1, side="buy", price="100")


def test_layering_fires_when_the_third_level_is_cancelled_after_a_trade_on_the_other_side(
    rules, markets, trader, other_trader, after_commit
):
    layer_and_trade(after_commit, trader, other_trader, 3)
    sells = resting(trader, "sell")
    assert [o.price for o in sells] == [Decimal("101"), Decimal("102"), Decimal("103")]
    cancel(after_commit, sells[:2])
    assert alerts(trader, AlertType.LAYERING) == []
    cancel(after_commit, sells[2:])
    (alert,) = alerts(trader, AlertType.LAYERING)
    assert alert.rule_id == "layering" and alert.facts["levels"] == ["101", "102", "103"]
    assert alert.facts["side"] == "sell" and alert.facts["symbol"] == "AAPL/USDC"
    assert set(alert.facts["order_ids"]) == {o.id for o in sells}


def test_levels_cancelled_without_a_trade_on_the_other_side_are_not_layering(
    rules, markets, trader, other_trader, after_commit
):
    fund(after_commit, trader, "AAPL", "3")
    for level in range(3):
        place(after_commit, trader, 1, side="sell", price=str(101 + level))
    cancel(after_commit, resting(trader, "sell"))
    assert not Alert.objects.filter(alert_type=AlertType.LAYERING).exists()
