"""The history of configuration: every change of a rule, an SLA, a tier limit, an account's credit line or
beneficial owner, with who, when, before and after, in the admin."""

from decimal import Decimal

import pytest
from django.contrib.admin.utils import quote
from django.test import Client

from compliance.models import KycTierLimit, SeveritySla, SurveillanceRule
from tests.two_factor import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(administrator) -> Client:
    client = Client()
    force_login_verified(client, administrator)
    return client


def change_form(client: Client, url: str) -> dict:
    """The change form's current values, as the browser would post them back."""
    form = client.get(url).context["adminform"].form
    return {name: ("" if value is None else value) for name, value in form.initial.items() if name in form.fields}


def test_a_rule_change_records_who_when_before_and_after(admin_client, administrator, officer, rules):
    url = "/admin/compliance/surveillancerule/velocity/change/"
    data = change_form(admin_client, url)
    data.update(threshold="75", parameters='{"baseline_multiplier": 10, "baseline_days": 7, "baseline_min_orders": 20}')
    assert admin_client.post(url, data).status_code == 302
    latest = SurveillanceRule.history.filter(code="velocity").latest()
    previous = latest.prev_record
    assert latest.history_user == administrator and latest.history_type == "~"
    delta = latest.diff_against(previous)
    assert [(c.field, c.old, c.new) for c in delta.changes if c.field == "threshold"] == [
        ("threshold", Decimal("50"), Decimal("75"))
    ]
    officer_client = Client()
    force_login_verified(officer_client, officer)
    page = officer_client.get(url.replace("change/", "history/"))
    text = page.content.decode()
    assert page.status_code == 200 and administrator.username in text
    assert "Threshold:</strong>" in text and "50.00000000" in text and "75.00000000" in text


def test_slas_tier_limits_and_accounts_keep_their_history(admin_client, administrator, trader, rules):
    sla_url = "/admin/compliance/severitysla/high/change/"
    admin_client.post(sla_url, {**change_form(admin_client, sla_url), "hours": "12"})
    tier_url = "/admin/compliance/kyctierlimit/tier_1/change/"
    admin_client.post(tier_url, {**change_form(admin_client, tier_url), "daily_withdrawal_limit": "5000"})
    account_url = f"/admin/accounts/account/{quote(trader.account.id)}/change/"
    data = change_form(admin_client, account_url)
    assert admin_client.post(account_url, {**data, "credit_line": "2500", "beneficial_owner": "owner-7"}).status_code == 302

    assert SeveritySla.history.filter(severity="high").latest().history_user == administrator
    assert KycTierLimit.history.filter(tier="tier_1").latest().daily_withdrawal_limit == Decimal("5000")
    account_change = trader.account.history.latest()
    delta = account_change.diff_against(account_change.prev_record)
    assert {c.field: (c.old, c.new) for c in delta.changes} == {
        "credit_line": (Decimal("0"), Decimal("2500")), "beneficial_owner": ("", "owner-7")
    }
    assert account_change.history_user == administrator
    page = admin_client.get(account_url.replace("change/", "history/")).content.decode()
    assert "owner-7" in page and "Credit line:</strong>" in page
