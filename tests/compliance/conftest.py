"""Fixtures of the compliance tests: default rules (gone after a transactional flush), alerts, published events."""

import pytest

from accounts.roles import COMPLIANCE
from compliance.defaults import defaults_create
from compliance.models import AlertType, KycTierLimit, SeveritySla, SurveillanceRule
from compliance.services import alert_raise
from tests.support.event_log import published


@pytest.fixture
def rules(db):
    """The default rules, SLAs and tier limits, by code (recreated: transactional tests flush migrations' data)."""
    defaults_create(rule_model=SurveillanceRule, sla_model=SeveritySla, tier_limit_model=KycTierLimit)
    return {rule.code: rule for rule in SurveillanceRule.objects.all()}


@pytest.fixture
def make_alert(rules):
    def make(account_id: str, rule_code: str = "velocity", description: str = "Trader executed 50 orders in 2 minutes"):
        # One open alert per rule and account (deduplication): use another account for a second one.
        return alert_raise(
            rule=rules[rule_code],
            account_id=account_id,
            alert_type=AlertType.UNUSUAL_TRADING_PATTERN,
            description=description,
            facts={"orders_in_window": 50},
        )

    return make


@pytest.fixture
def alert(make_alert, trader):
    return make_alert(trader.account.id)


def compliance_events(event_type: str | None = None) -> list[dict]:
    """What was published on compliance_events, oldest first (read from the event log)."""
    return published("compliance_events", event_type=event_type)


@pytest.fixture
def second_officer(make_user):
    """The other officer of four eyes."""
    return make_user(COMPLIANCE, username="second_officer")


@pytest.fixture
def media(settings, tmp_path):
    """Case evidence stored under a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"
