"""Each surveillance rule fires at its threshold, not below, and once per rule, account and window."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account, KycTier
from compliance.models import Alert, AlertType, SurveillanceTask
from compliance.surveillance import surveillance_run_pending
from tests.compliance.conftest import compliance_events
from tests.event_shapes import assert_event_shape
from tests.support.kyc import kyc_set
from trading.models import Order
from trading.services import deposit_create, order_place, withdrawal_request

pytestmark = pytest.mark.django_db

THRESHOLD = Decimal("1000000")


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Runs `action` as a committed transaction, then the surveillance job as the server's job thread would."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = action(*args, **kwargs)
        surveillance_run_pending()
        return result

    return run


def fund(after_commit, user, currency: str, amount: str) -> None:
    after_commit(
        deposit_create, account_id=user.account.id, currency=currency, amount=Decimal(amount), transaction_hash="0xfund"
    )


def place(
    after_commit, user, count: int, *, side="buy", order_type="limit", price="1", quantity="1", symbol="AAPL/USDC"
) -> None:
    for _ in range(count):
        after_commit(
            order_place,
            account_id=user.account.id,
            symbol=symbol,
            side=side,
            order_type=order_type,
            quantity=Decimal(quantity),
            price=Decimal(price) if order_type == "limit" else None,
        )


def alerts(user, alert_type: str) -> list[Alert]:
    return list(Alert.objects.filter(account=user.account, alert_type=alert_type))


# Velocity


def test_velocity_fires_at_fifty_orders_in_two_minutes_not_below_and_once(rules, markets, trader, after_commit):
    fund(after_commit, trader, "USDC", "1000")
    place(after_commit, trader, 49)
    assert alerts(trader, AlertType.UNUSUAL_TRADING_PATTERN) == []
    place(after_commit, trader, 1)
    (alert,) = alerts(trader, AlertType.UNUSUAL_TRADING_PATTERN)
    assert alert.description == "Trader executed 50 orders in 2 minutes (at or above the limit of 50)"
    assert alert.facts["orders_in_window"] == 50 and alert.rule_id == "velocity"
    place(after_commit, trader, 3)  # the same window: deduplicated
    assert len(alerts(trader, AlertType.UNUSUAL_TRADING_PATTERN)) == 1
    (event,) = compliance_events("suspicious_activity_detected")
    assert_event_shape(event)
    assert event["activity_type"] == "unusual_trading_pattern" and event["action_required"] is True
    assert event["description"] == alert.description and event["alert_id"] == alert.id


def history(user, count: int, *, days_ago: int) -> None:
    """Orders the account placed in the past (rows only: the past raised no alerts)."""
    when = timezone.now() - timedelta(days=days_ago)
    Order.objects.bulk_create(
        Order(
            account=user.account, market_id="AAPL/USDC", side="buy", order_type="limit", price=1, quantity=1,
            status="cancelled", book_sequence=0, created_at=when, updated_at=when,
        )
        for _ in range(count)
    )


def test_velocity_fires_far_above_the_accounts_usual_rate(rules, markets, trader, after_commit):
    history(trader, 25, days_ago=2)  # the account's usual rate: 25 orders a week
    fund(after_commit, trader, "USDC", "1000")
    place(after_commit, trader, 19)  # under baseline_min_orders (20)
    assert alerts(trader, AlertType.UNUSUAL_TRADING_PATTERN) == []
    place(after_commit, trader, 1)
    (alert,) = alerts(trader, AlertType.UNUSUAL_TRADING_PATTERN)
    assert alert.description.startswith("Trader executed 20 orders in 2 minutes (unusual for this account")
    assert "usual_orders_per_window" in alert.facts


def test_an_account_at_its_usual_rate_is_not_unusual(rules, markets, trader, after_commit):
    rule = rules["velocity"]
    rule.parameters = {**rule.parameters, "baseline_multiplier": 10000}  # 10000 x its usual rate is unusual
    rule.save()
    history(trader, 120, days_ago=3)
    fund(after_commit, trader, "USDC", "1000")
    place(after_commit, trader, 25)  # usual: 120 / 5039 windows; 10000 x that is 238 orders
    assert alerts(trader, AlertType.UNUSUAL_TRADING_PATTERN) == []


def test_a_disabled_rule_and_a_tuned_threshold(rules, markets, trader, other_trader, after_commit):
    rule = rules["velocity"]
    rule.enabled = False
    rule.save()
    fund(after_commit, trader, "USDC", "1000")
    place(after_commit, trader, 50)
    assert alerts(trader, AlertType.UNUSUAL_TRADING_PATTERN) == []
    rule.enabled, rule.threshold = True, Decimal("3")
    rule.save()
    fund(after_commit, other_trader, "USDC", "1000")
    place(after_commit, other_trader, 3)
    assert len(alerts(other_trader, AlertType.UNUSUAL_TRADING_PATTERN)) == 1


def test_a_rolled_back_order_raises_nothing(rules, markets, trader, django_capture_on_commit_callbacks):
    from django.db import transaction

    rule = rules["velocity"]
    rule.threshold = Decimal("1")
    rule.save()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        Order.objects.create(
            account=trader.account, market_id="AAPL/USDC", side="buy", order_type="limit", price=1, quantity=1,
            book_sequence=1, created_at=timezone.now(), updated_at=timezone.now(),
        )
        raise RuntimeError("rolled back")
    assert callbacks == [] and not SurveillanceTask.objects.exists()
    surveillance_run_pending()
    assert Alert.objects.count() == 0


def test_checks_owed_before_a_crash_run_when_the_job_resumes(rules, markets, trader):
    """The order commits, the process dies before any check ran: the next job run raises the alert."""
    rule = rules["velocity"]
    rule.threshold = Decimal("2")
    rule.save()
    deposit_create(account_id=trader.account.id, currency="USDC", amount=Decimal("1000"), transaction_hash="0xcrash")
    for _ in range(2):
        order_place(
            account_id=trader.account.id, symbol="AAPL/USDC", side="buy", order_type="limit",
            quantity=Decimal("1"), price=Decimal("1"),
        )
    owed = list(SurveillanceTask.objects.order_by("id").values_list("kind", flat=True))
    assert owed == ["deposit", "order_placed", "order_placed"]
    assert alerts(trader, AlertType.UNUSUAL_TRADING_PATTERN) == []  # nothing ran in the request

    assert surveillance_run_pending() == 3  # a fresh job run (another process would do the same)
    (alert,) = alerts(trader, AlertType.UNUSUAL_TRADING_PATTERN)
    assert alert.facts["orders_in_window"] == 2
    assert not SurveillanceTask.objects.exists()
    assert surveillance_run_pending() == 0  # done once: nothing owed any more


# Large transactions


def large_events() -> list[dict]:
    events = compliance_events("large_transaction_alert")
    for event in events:
        assert_event_shape(event)
    return events


def test_a_deposit_at_the_threshold_is_large_and_just_below_is_not(rules, markets, trader, other_trader, after_commit):
    fund(after_commit, other_trader, "USDC", "999999.99999999")
    assert alerts(other_trader, AlertType.LARGE_TRANSACTION) == []
    fund(after_commit, trader, "USDC", "1000000")
    (alert,) = alerts(trader, AlertType.LARGE_TRANSACTION)
    (event,) = large_events()
    assert event["alert_id"] == alert.id and event["account_id"] == trader.account.id
    assert event["transaction_type"] == "deposit"
    assert event["amount"] == THRESHOLD and event["threshold"] == THRESHOLD
    fund(after_commit, trader, "USDC", "5000000")  # within the rule's window: deduplicated
    assert len(alerts(trader, AlertType.LARGE_TRANSACTION)) == 1


def test_assets_are_valued_at_their_market_price(rules, markets, trader, other_trader, after_commit):
    from trading.models import Market

    Market.objects.filter(symbol="AAPL/USDC").update(last_price=Decimal("100"))
    fund(after_commit, other_trader, "AAPL", "9999")  # 999,900 USDC
    fund(after_commit, trader, "AAPL", "10000")  # 1,000,000 USDC
    assert alerts(other_trader, AlertType.LARGE_TRANSACTION) == []
    (event,) = large_events()
    assert event["account_id"] == trader.account.id and event["amount"] == THRESHOLD


def test_a_large_trade_alerts_both_sides(rules, markets, trader, other_trader, after_commit):
    fund(after_commit, trader, "AAPL", "20")
    for _ in range(4):
        fund(after_commit, other_trader, "USDC", "600000")
    place(after_commit, trader, 1, side="sell", price="99999.99", quantity="10")  # a trade just under the threshold
    place(after_commit, other_trader, 1, side="buy", price="99999.99", quantity="10")
    assert Alert.objects.filter(alert_type=AlertType.LARGE_TRANSACTION).count() == 0
    place(after_commit, trader, 1, side="sell", price="100000", quantity="10")
    place(after_commit, other_trader, 1, side="buy", price="100000", quantity="10")
    events = large_events()
    assert {e["account_id"] for e in events} == {trader.account.id, other_trader.account.id}
    assert all(e["transaction_type"] == "trade" and e["amount"] == THRESHOLD for e in events)


def test_a_large_withdrawal(rules, markets, trader, after_commit):
    kyc_set(trader, status=trader.account.kyc_status, tier=KycTier.TIER_3)
    for _ in range(3):
        fund(after_commit, trader, "USDC", "700000")
    after_commit(withdrawal_request, account_id=trader.account.id, currency="USDC", amount=Decimal("999999"), address="0xa")
    assert alerts(trader, AlertType.LARGE_TRANSACTION) == []
    after_commit(withdrawal_request, account_id=trader.account.id, currency="USDC", amount=Decimal("1000000"), address="0xa")
    (event,) = large_events()
    assert event["transaction_type"] == "withdrawal" and event["amount"] == THRESHOLD


# Structuring


def test_structuring_fires_at_the_third_transfer_just_under_the_threshold(rules, markets, trader, after_commit):
    fund(after_commit, trader, "USDC", "899999")  # under the band (90% of the threshold): not counted
    fund(after_commit, trader, "USDC", "950000")
    fund(after_commit, trader, "USDC", "999999")
    assert alerts(trader, AlertType.STRUCTURING) == []
    kyc_set(trader, status=trader.account.kyc_status, tier=KycTier.TIER_3)
    after_commit(withdrawal_request, account_id=trader.account.id, currency="USDC", amount=Decimal("900000"), address="0xa")
    (alert,) = alerts(trader, AlertType.STRUCTURING)
    assert len(alert.facts["transfers"]) == 3
    assert {t["type"] for t in alert.facts["transfers"]} == {"deposit", "withdrawal"}
    fund(after_commit, trader, "USDC", "960000")
    assert len(alerts(trader, AlertType.STRUCTURING)) == 1
    event = compliance_events("suspicious_activity_detected")[-1]
    assert_event_shape(event)
    assert event["activity_type"] == "structuring" and event["alert_id"] == alert.id


def test_transfers_older_than_a_day_do_not_count(rules, markets, trader, after_commit):
    from trading.models import Deposit

    fund(after_commit, trader, "USDC", "950000")
    fund(after_commit, trader, "USDC", "950000")
    Deposit.objects.filter(account=trader.account).update(created_at=timezone.now() - timedelta(hours=25))
    fund(after_commit, trader, "USDC", "950000")
    assert alerts(trader, AlertType.STRUCTURING) == []


# Wash trading


def same_owner(*users, owner="owner-1"):
    Account.objects.filter(user__in=users).update(beneficial_owner=owner)


def trade_once(after_commit, seller, buyer):
    place(after_commit, seller, 1, side="sell", price="10")
    place(after_commit, buyer, 1, side="buy", price="10")


@pytest.fixture
def two_traders(markets, trader, other_trader, after_commit):
    fund(after_commit, trader, "AAPL", "10")
    fund(after_commit, other_trader, "USDC", "1000")
    return trader, other_trader


def test_trades_between_accounts_of_one_owner_are_wash_trades(rules, two_traders, after_commit):
    trader, other_trader = two_traders
    trade_once(after_commit, trader, other_trader)  # different owners (blank): nothing
    assert Alert.objects.filter(alert_type=AlertType.WASH_TRADING).count() == 0
    same_owner(trader, other_trader)
    trade_once(after_commit, trader, other_trader)
    assert len(alerts(trader, AlertType.WASH_TRADING)) == 1 and len(alerts(other_trader, AlertType.WASH_TRADING)) == 1
    trade_once(after_commit, trader, other_trader)  # deduplicated
    assert Alert.objects.filter(alert_type=AlertType.WASH_TRADING).count() == 2
    alert = alerts(trader, AlertType.WASH_TRADING)[0]
    assert alert.facts["beneficial_owner"] == "owner-1" and alert.facts["seller"] == trader.account.id


def test_wash_trading_fires_at_its_threshold(rules, two_traders, after_commit):
    trader, other_trader = two_traders
    rules["wash_trading"].threshold = Decimal("2")
    rules["wash_trading"].save()
    same_owner(trader, other_trader)
    trade_once(after_commit, trader, other_trader)
    assert Alert.objects.filter(alert_type=AlertType.WASH_TRADING).count() == 0
    trade_once(after_commit, trader, other_trader)
    assert len(alerts(trader, AlertType.WASH_TRADING)) == 1


def test_repeated_self_trade_attempts(rules, markets, trader, after_commit):
    rules["self_trade_attempts"].threshold = Decimal("3")
    rules["self_trade_attempts"].save()
    fund(after_commit, trader, "AAPL", "10")
    fund(after_commit, trader, "USDC", "1000")

    def attempt():
        place(after_commit, trader, 1, side="sell", price="10")  # rests
        place(after_commit, trader, 1, side="buy", order_type="market")  # would match it: prevented

    attempt()
    attempt()
    assert Order.objects.filter(account=trader.account, status_reason="self_trade_prevented").count() == 2
    assert alerts(trader, AlertType.WASH_TRADING) == []
    attempt()
    (alert,) = alerts(trader, AlertType.WASH_TRADING)
    assert alert.rule_id == "self_trade_attempts" and alert.facts["attempts"] == 3
    attempt()
    assert len(alerts(trader, AlertType.WASH_TRADING)) == 1
