"""The admin as the triage console, as an officer sees it."""

from decimal import Decimal

import pytest
from django.contrib.admin.utils import quote
from django.test import Client

from accounts.models import Account
from compliance.models import Alert, AlertStatus
from compliance.services import alert_assign, alert_status_change
from tests.compliance.conftest import compliance_events
from tests.two_factor import force_login_verified
from trading.models import Balance, Trade
from trading.services import deposit_create, order_place

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/compliance/alert/"


@pytest.fixture
def browser(officer) -> Client:
    client = Client()
    force_login_verified(client, officer)
    return client


def change_url(alert) -> str:
    return f"/admin/compliance/alert/{quote(alert.id)}/change/"


def formset_management(response) -> dict:
    """The management-form fields of every inline on a change page, as the browser would post them."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        for field in inline.formset.management_form:
            data[field.html_name] = field.value() if field.value() is not None else ""
    return data


def test_the_queue_renders_with_every_filter_and_search(browser, make_alert, trader, other_trader, officer):
    mine = make_alert(trader.account.id)
    other = make_alert(other_trader.account.id)
    alert_assign(alert_id=mine.id, assignee=officer, actor=officer)
    Alert.objects.filter(pk=other.id).update(due_at=other.raised_at.replace(year=2000))
    cases = {
        "": {mine, other},
        "?status__exact=open": {mine, other},
        "?status__exact=closed": set(),
        "?severity__exact=medium": {mine, other},
        "?severity__exact=critical": set(),
        "?alert_type__exact=unusual_trading_pattern": {mine, other},
        "?alert_type__exact=structuring": set(),
        "?assignee=me": {mine},
        "?assignee=none": {other},
        f"?assignee={officer.pk}": {mine},
        "?overdue=yes": {other},
        "?overdue=no": {mine},
        f"?q={mine.id}": {mine},
        f"?q={other_trader.account.id}": {other},
    }
    for query, expected in cases.items():
        response = browser.get(CHANGELIST + query)
        assert response.status_code == 200, query
        shown = set(response.context["cl"].result_list)
        assert shown == expected, query
    page = browser.get(CHANGELIST).content.decode()
    assert "overdue by" in page and "due in" in page  # the SLA column
    for action in ("assign_to_me", "start_investigation", "escalate", "close_false_positive", "close_sar_filed"):
        assert f'value="{action}"' in page


def test_the_alert_page_shows_recent_activity_notes_and_the_audit_trail(
    browser, alert, trader, other_trader, officer, markets
):
    deposit_create(account_id=trader.account.id, currency="USDC", amount=Decimal("100"), transaction_hash="0x1")
    deposit_create(account_id=other_trader.account.id, currency="AAPL", amount=Decimal("1"), transaction_hash="0x2")
    order_place(
        account_id=other_trader.account.id, symbol="AAPL/USDC", side="sell", order_type="limit",
        quantity=Decimal("1"), price=Decimal("5"),
    )
    order = order_place(
        account_id=trader.account.id, symbol="AAPL/USDC", side="buy", order_type="limit",
        quantity=Decimal("1"), price=Decimal("5"),
    )
    trade = Trade.objects.get()
    alert_assign(alert_id=alert.id, assignee=officer, actor=officer)
    response = browser.get(change_url(alert))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<a href="/admin/trading/order/{quote(order.id)}/change/">{order.id}</a>' in page and "Recent trades" in page
    assert f'href="/admin/accounts/account/{quote(trader.account.id)}/change/"' in page
    assert f'<a href="/admin/trading/trade/{quote(trade.id)}/change/">' in page
    assert f'href="/admin/accounts/account/{quote(other_trader.account.id)}/change/"' in page  # the counterparty
    assert "audit trail" in page.lower() and "surveillance" in page  # the system raised it
    assert alert.description in page


def test_bulk_actions_go_through_the_services(browser, make_alert, trader, other_trader, officer):
    first, second = make_alert(trader.account.id), make_alert(other_trader.account.id)
    selected = {"_selected_action": [first.id, second.id]}
    browser.post(CHANGELIST, {"action": "assign_to_me", **selected})
    assert set(Alert.objects.values_list("assignee", flat=True)) == {officer.pk}
    response = browser.post(CHANGELIST, {"action": "escalate", **selected}, follow=True)
    assert "Refused" in response.content.decode()  # open alerts are investigated before escalation
    browser.post(CHANGELIST, {"action": "start_investigation", "_selected_action": [first.id]})
    browser.post(CHANGELIST, {"action": "escalate", "_selected_action": [first.id]})
    browser.post(CHANGELIST, {"action": "close_sar_filed", "_selected_action": [first.id]})
    browser.post(CHANGELIST, {"action": "close_false_positive", "_selected_action": [second.id]})
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, first.disposition) == ("closed", "sar_filed")
    assert (second.status, second.disposition) == ("closed", "false_positive")
    assert [e.action for e in first.audit_trail.all()] == ["raised", "assignee", "status", "status", "status"]
    assert all(e.actor == officer for e in first.audit_trail.all()[1:])
    assert len(compliance_events("alert_updated")) == 6


def test_the_change_form_assigns_adds_a_note_and_closes(browser, alert, officer):
    page = browser.get(change_url(alert))
    data = {
        **formset_management(page),
        "status": "open",
        "disposition": "",
        "assignee": str(officer.pk),
        "notes-0-text": "Customer confirmed the orders were a scripted test.",
    }
    response = browser.post(change_url(alert), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    alert.refresh_from_db()
    assert alert.assignee == officer and alert.notes.get().author == officer
    data = {**formset_management(browser.get(change_url(alert))), "status": "closed", "disposition": "false_positive",
            "assignee": str(officer.pk)}
    assert browser.post(change_url(alert), data).status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.disposition) == ("closed", "false_positive")
    assert [e.action for e in alert.audit_trail.all()] == ["raised", "assignee", "note", "status"]
    assert [e["change"] for e in compliance_events("alert_updated")] == ["assignee", "note", "status"]


def test_the_change_form_refuses_a_move_the_workflow_forbids(browser, alert, officer):
    base = formset_management(browser.get(change_url(alert)))
    response = browser.post(change_url(alert), {**base, "status": "escalated", "disposition": "", "assignee": ""})
    assert response.status_code == 200  # the form again, with the reason
    response = browser.post(change_url(alert), {**base, "status": "closed", "disposition": "", "assignee": ""})
    assert response.status_code == 200
    assert "disposition" in response.context["adminform"].form.errors
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN and alert.audit_trail.count() == 1


def test_a_move_made_stale_by_another_officer_is_reported(browser, alert, officer, administrator):
    page = browser.get(change_url(alert))  # loaded while the alert is open
    alert_status_change(alert_id=alert.id, status="closed", disposition="false_positive", actor=administrator)
    data = {**formset_management(page), "status": "investigating", "disposition": "", "assignee": ""}
    response = browser.post(change_url(alert), data)
    assert response.status_code == 200 and "status" in response.context["adminform"].form.errors
    alert.refresh_from_db()
    assert alert.status == "closed"


def test_alerts_cannot_be_added_or_deleted(browser, alert):
    assert browser.get("/admin/compliance/alert/add/").status_code == 403
    assert browser.post(f"/admin/compliance/alert/{quote(alert.id)}/delete/", {"post": "yes"}).status_code == 403
    assert Alert.objects.filter(pk=alert.id).exists()


def test_an_officer_sees_balances_and_orders_but_cannot_edit_them(browser, officer, trader, markets):
    deposit_create(account_id=trader.account.id, currency="USDC", amount=Decimal("100"), transaction_hash="0x1")
    balance = Balance.objects.get(account=trader.account)
    order = order_place(
        account_id=trader.account.id, symbol="AAPL/USDC", side="buy", order_type="limit",
        quantity=Decimal("1"), price=Decimal("5"),
    )
    for perm in ("trading.change_balance", "trading.change_order", "trading.add_deposit", "accounts.change_account"):
        assert not officer.has_perm(perm), perm
    for perm in ("trading.view_balance", "trading.view_order", "trading.view_trade", "compliance.change_alert"):
        assert officer.has_perm(perm), perm
    balance_url = f"/admin/trading/balance/{quote(balance.pk)}/change/"
    assert browser.get(balance_url).status_code == 200  # view only
    balance.refresh_from_db()
    before = (balance.available, balance.reserved)
    assert browser.post(balance_url, {"available": "1000000", "reserved": "0"}).status_code == 403
    balance.refresh_from_db()
    assert (balance.available, balance.reserved) == before
    assert browser.get(f"/admin/trading/order/{quote(order.id)}/change/").status_code == 200
    assert browser.get("/admin/accounts/account/").status_code == 200
    account_url = f"/admin/accounts/account/{quote(trader.account.id)}/change/"
    browser.post(account_url, {"credit_line": "999999", "kyc_status": "approved"})
    account = Account.objects.get(pk=trader.account.id)
    assert account.credit_line == 0 and account.kyc_status == "pending_review"


def test_traders_do_not_get_into_the_admin(trader, alert):
    client = Client()
    client.force_login(trader)
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_kyc_changes_in_the_admin_go_through_the_service(browser, officer, trader):
    response = browser.post(
        "/admin/accounts/account/", {"action": "change_kyc", "_selected_action": [trader.account.id]}
    )
    assert response.status_code == 302
    add_url = response["Location"]
    assert add_url == f"/admin/compliance/kycchange/add/?account={trader.account.id}"
    form = browser.get(add_url)
    assert form.status_code == 200 and form.context["adminform"].form.initial["new_status"] == "pending_review"
    response = browser.post(
        add_url, {"account": trader.account.id, "new_status": "approved", "new_tier": "tier_2", "reason": "documents ok"}
    )
    assert response.status_code == 302
    account = Account.objects.get(pk=trader.account.id)
    assert (account.kyc_status, account.kyc_tier) == ("approved", "tier_2")
    (event,) = compliance_events("kyc_status_changed")
    assert event["previous_status"] == "pending_review" and event["new_status"] == "approved"
    assert browser.get("/admin/compliance/kycchange/").status_code == 200


def test_rules_are_visible_to_officers_and_editable_by_administrators(browser, rules, administrator):
    url = "/admin/compliance/surveillancerule/velocity/change/"
    assert browser.get("/admin/compliance/surveillancerule/").status_code == 200
    browser.post(url, {"name": "x", "enabled": "", "severity": "low", "threshold": "1", "window_seconds": "1", "parameters": "{}"})
    assert rules["velocity"].__class__.objects.get(pk="velocity").enabled is True
    admin_client = Client()
    force_login_verified(admin_client, administrator)
    response = admin_client.post(
        url,
        {"name": "Order velocity", "severity": "high", "threshold": "80", "window_seconds": "60",
         "parameters": '{"baseline_multiplier": 10, "baseline_days": 7, "baseline_min_orders": 20}'},
    )
    assert response.status_code == 302
    rule = rules["velocity"].__class__.objects.get(pk="velocity")
    assert (rule.enabled, rule.severity, rule.threshold, rule.window_seconds) == (False, "high", Decimal("80"), 60)
    bad = admin_client.post(url, {"name": "x", "severity": "high", "threshold": "-1", "window_seconds": "0", "parameters": "[]"})
    assert bad.status_code == 200 and bad.context["adminform"].form.errors


@pytest.mark.parametrize(
    "parameters",
    ['{"baseline_days": "abc"}', '{"baseline_days": -1}', '{"baseline_days": true}', '{"band": 0.5}',
     '{"unknown": 1}', '{"baseline_multiplier": 1e999}'],
)
def test_rule_parameters_are_checked(administrator, rules, parameters):
    client = Client()
    force_login_verified(client, administrator)
    data = {"name": "Order velocity", "enabled": "on", "severity": "medium", "threshold": "50", "window_seconds": "120",
            "parameters": parameters}
    response = client.post("/admin/compliance/surveillancerule/velocity/change/", data)
    assert response.status_code == 200 and "parameters" in response.context["adminform"].form.errors


def test_structuring_band_stays_below_one(administrator, rules):
    client = Client()
    force_login_verified(client, administrator)
    data = {"name": "Structuring", "enabled": "on", "severity": "high", "threshold": "3", "window_seconds": "86400",
            "parameters": '{"band": 1.5}'}
    response = client.post("/admin/compliance/surveillancerule/structuring/change/", data)
    assert response.status_code == 200 and "parameters" in response.context["adminform"].form.errors


def test_admin_links_escape_ids_the_admin_would_misread(browser, make_user):
    """`_22` after "acc" reads as an escaped '"' to the admin unless the "_" is escaped itself."""
    from compliance.admin.activity import admin_link

    account = make_user().account
    odd_id = "acc_2200000000000000"
    Account.objects.filter(pk=account.pk).update(id=odd_id)
    link = admin_link("accounts_account_change", odd_id)
    assert 'href="/admin/accounts/account/acc_5F2200000000000000/change/"' in link
    assert browser.get("/admin/accounts/account/acc_5F2200000000000000/change/").status_code == 200
