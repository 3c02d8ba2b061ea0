"""The investigation pages with Django's client: an account on one page, an alert's trigger, its facts, the
console's row endpoint, the dashboard and the CSV exports; officers only."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from compliance.formatting import facts_display, number_text
from compliance.metrics import dashboard_read
from compliance.models import Alert, AlertAuditEntry, AlertStatus, AlertType
from compliance.selectors import alert_console_row, alert_trigger
from compliance.services import alert_assign, alert_status_change
from compliance.surveillance import surveillance_run_pending
from tests.two_factor import force_login_verified
from trading.models import Trade
from trading.services import deposit_create, order_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(officer) -> Client:
    client = Client()
    force_login_verified(client, officer)
    return client


def place(account_id: str, side: str, quantity: str, price: str):
    return order_place(
        account_id=account_id, symbol="AAPL/USDC", side=side, order_type="limit",
        quantity=Decimal(quantity), price=Decimal(price),
    )


def large_trade(seller, buyer):
    """Fills 10 AAPL at 100000: once the surveillance job has run, a large-transaction alert on each side.

    The seller keeps 1 AAPL to rest an order with afterwards."""
    deposit_create(account_id=seller.account.id, currency="AAPL", amount=Decimal("11"), transaction_hash="0x1")
    for _ in range(2):
        deposit_create(account_id=buyer.account.id, currency="USDC", amount=Decimal("600000"), transaction_hash="0x2")
    place(seller.account.id, "sell", "10", "100000")
    place(buyer.account.id, "buy", "10", "100000")


def pages(alert) -> list[str]:
    return [
        f"/compliance/accounts/{alert.account_id}/",
        f"/compliance/console/alerts/{alert.id}/",
        "/compliance/dashboard/",
        "/admin/compliance/alert/export.csv",
        "/admin/compliance/alert/audit.csv",
    ]


def test_traders_are_refused_and_strangers_sent_to_log_in(alert, trader):
    trader_client = Client()
    trader_client.force_login(trader)
    for url in pages(alert):
        refused = trader_client.get(url)
        assert refused.status_code in (302, 403), url
        if refused.status_code == 302:  # the admin sends non-staff to its login
            assert refused["Location"].startswith("/admin/login/"), url
        stranger = Client().get(url)
        assert stranger.status_code == 302 and stranger["Location"].startswith("/admin/login/"), url


def test_every_page_opens_for_an_officer(officer_client, alert):
    for url in pages(alert):
        assert officer_client.get(url).status_code == 200, url


def test_the_console_row_is_the_server_rendered_row(officer_client, alert, officer):
    alert_assign(alert_id=alert.id, assignee=officer, actor=officer)
    row = officer_client.get(f"/compliance/console/alerts/{alert.id}/").json()
    alert.refresh_from_db()
    assert row == alert_console_row(alert=alert)
    assert row["severity"] == "medium" and row["assignee"] == officer.username
    assert officer_client.get("/compliance/console/alerts/alr_missing/").status_code == 404


def test_the_account_page_shows_everything_an_investigation_needs(
    officer_client, rules, markets, trader, other_trader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        large_trade(trader, other_trader)
    surveillance_run_pending()  # what the server's job does within half a second of the commits
    resting = place(trader.account.id, "sell", "1", "200000")  # still on the book
    alert = Alert.objects.get(account=trader.account, alert_type=AlertType.LARGE_TRANSACTION)
    page = officer_client.get(f"/compliance/accounts/{trader.account.id}/").content.decode()
    for section in ("timeline-chart", 'id="balances"', 'id="open-orders"', 'id="trades"', 'id="transfers"',
                    'id="alerts"', 'id="kyc-history"'):
        assert section in page
    assert resting.id in page and Trade.objects.get().id in page and alert.id in page
    assert "Deposit worth 1,100,000 USDC" in page  # the description's amounts have separators
    assert "chart-4.5.0.umd.min.js" in page and "cdn" not in page.lower()
    assert officer_client.get("/compliance/accounts/acc_missing/").status_code == 404


def test_a_large_trade_alert_is_triggered_by_its_trade_and_its_order(
    rules, markets, trader, other_trader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        large_trade(trader, other_trader)
    surveillance_run_pending()  # what the server's job does within half a second of the commits
    # The buyer's deposits were each under the threshold: its one large alert is the trade's.
    alert = Alert.objects.get(account=other_trader.account, alert_type=AlertType.LARGE_TRANSACTION)
    assert alert.facts["transaction_type"] == "trade"
    trade = Trade.objects.get()
    later = place(other_trader.account.id, "buy", "1", "1000")
    trigger = alert_trigger(alert=alert)
    assert [t.trade.id for t in trigger.trades] == [trade.id]
    assert trade.buy_order_id in {o.id for o in trigger.orders} and later.id not in {o.id for o in trigger.orders}
    assert len(trigger.deposits) == 2  # the buyer funded the trade within the rule's minute
    assert trigger.end - trigger.start == timedelta(seconds=rules["large_transaction"].window_seconds)


def test_facts_read_as_labelled_rounded_values():
    shown = dict(facts_display({
        "orders_in_window": 50, "window_seconds": 120, "threshold": "50",
        "usual_orders_per_window": "0.03016471522127406231395118079", "usdc_value": "1234567.891",
    }))
    assert shown == {
        "Orders in the window": "50", "Window": "2 minutes", "Threshold": "50",
        "Usual orders per window": "0.0302", "Value (USDC)": "1,234,567.89",
    }
    assert number_text(Decimal("1000000")) == "1,000,000"
    assert number_text(Decimal("0.00001234")) == "0.0000123" and number_text(Decimal("-0.5")) == "-0.5"


def test_the_dashboard_counts_volume_ageing_breaches_and_time_to_close(make_alert, trader, other_trader, officer):
    now = timezone.now()
    fresh = make_alert(trader.account.id)
    old = make_alert(other_trader.account.id)
    Alert.objects.filter(pk=old.pk).update(raised_at=now - timedelta(days=4), due_at=now - timedelta(days=1))
    alert_status_change(alert_id=fresh.id, status=AlertStatus.CLOSED, disposition="false_positive", actor=officer)
    metrics = dashboard_read(now=timezone.now())
    assert sum(metrics["alerts_per_day"]["by_type"]["unusual_trading_pattern"]) == 2
    assert metrics["alerts_per_day"]["by_severity"]["medium"][-1] == 1  # today's; the other is 4 days old
    assert metrics["open_by_age"]["by_severity"]["medium"] == [0, 0, 0, 0, 1, 0]  # 3-7 days
    assert sum(metrics["sla_breaches"]["by_severity"]["medium"]) == 1  # the old one, still open past its due time
    assert metrics["time_to_close"]["overall_median_hours"] == 0.0


def rows(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_exports_honour_the_queue_filters(officer_client, make_alert, trader, other_trader, officer):
    mine = make_alert(trader.account.id)
    other = make_alert(other_trader.account.id, description="=HYPERLINK(evil)")
    alert_assign(alert_id=mine.id, assignee=officer, actor=officer)
    everything = rows(officer_client.get("/admin/compliance/alert/export.csv"))
    assert {row["alert_id"] for row in everything} == {mine.id, other.id}
    assert next(row for row in everything if row["alert_id"] == other.id)["description"] == "'=HYPERLINK(evil)"
    filtered = rows(officer_client.get("/admin/compliance/alert/export.csv?assignee=me"))
    assert [row["alert_id"] for row in filtered] == [mine.id]
    audit = rows(officer_client.get("/admin/compliance/alert/audit.csv?assignee=me"))
    assert [(row["alert_id"], row["action"], row["actor"]) for row in audit] == [
        (mine.id, "raised", "surveillance"), (mine.id, "assignee", officer.username),
    ]
    changelist = officer_client.get("/admin/compliance/alert/?assignee=me").content.decode()
    assert 'href="/admin/compliance/alert/export.csv?assignee=me"' in changelist


def test_nobody_edits_the_audit_trail(officer_client, administrator, alert):
    entry = AlertAuditEntry.objects.get(alert=alert)
    admin_client = Client()
    force_login_verified(admin_client, administrator)
    for client in (officer_client, admin_client):
        assert client.get(f"/admin/compliance/alertauditentry/{entry.pk}/change/").status_code == 404
    with pytest.raises(TypeError):
        entry.save()
