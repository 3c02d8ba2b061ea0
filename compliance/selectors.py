from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Account
from accounts.roles import ADMIN, COMPLIANCE, GROUP_NAMES
from kernel.json import isoformat
from trading.models import RESTING_STATUSES, Balance, Deposit, Order, OrderStatus, Trade, Withdrawal

from .models import Alert, AlertAuditEntry, AlertStatus, Case, KycChange, Sar

RECENT_ACTIVITY_LIMIT = 20
# What an alert's page lists of the activity that triggered it, at most (a flood is 50 orders; margin above).
TRIGGER_LIMIT = 200
# The timeline around an alert spans its rule's window and at least this much either side of it.
TIMELINE_MARGIN = timedelta(minutes=10)
TIMELINE_LIMIT = 1000  # points per series


def officer_list() -> QuerySet:
    """The users alerts can be assigned to: compliance officers and administrators."""
    return (
        get_user_model()
        .objects.filter(
            Q(groups__name__in=[GROUP_NAMES[COMPLIANCE], GROUP_NAMES[ADMIN]]) | Q(is_superuser=True), is_active=True
        )
        .distinct()
        .order_by("username")
    )


def alert_overdue_q() -> Q:
    return Q(due_at__lt=timezone.now()) & ~Q(status=AlertStatus.CLOSED)


def alert_list_recent(*, limit: int = 50) -> list[Alert]:
    """What the live console shows on load: the newest alerts that are not closed."""
    return list(
        Alert.objects.exclude(status=AlertStatus.CLOSED).select_related("account__user", "assignee")[:limit]
    )


def alert_console_row(*, alert: Alert) -> dict:
    """One row of the live console, the same whether rendered with the page or fetched when an event arrives."""
    return {
        "alert_id": alert.id,
        "account_id": alert.account_id,
        "alert_type": alert.alert_type,
        "severity": alert.severity,
        "status": f"{alert.status} ({alert.disposition})" if alert.disposition else alert.status,
        "assignee": alert.assignee.get_username() if alert.assignee else "",
        "description": alert.description,
        "raised_at": isoformat(alert.raised_at),
    }


def alert_console_row_get(*, alert_id: str) -> dict | None:
    alert = Alert.objects.select_related("assignee").filter(pk=alert_id).first()
    return alert_console_row(alert=alert) if alert else None


@dataclass(frozen=True)
class AccountTrade:
    """A trade seen from one account: its side and the other party."""

    trade: Trade
    side: str
    counterparty_id: str


def _account_trades(account_id: str) -> QuerySet:
    return Trade.objects.filter(Q(buyer_id=account_id) | Q(seller_id=account_id))


def _seen_from(account_id: str, trades) -> list[AccountTrade]:
    return [
        AccountTrade(t, "buy", t.seller_id) if t.buyer_id == account_id else AccountTrade(t, "sell", t.buyer_id)
        for t in trades
    ]


def case_audit_trail(*, case: Case) -> QuerySet:
    """A case's one trail: its own entries and those of its alerts, oldest first."""
    return AlertAuditEntry.objects.filter(Q(case=case) | Q(alert__case=case)).select_related("actor")


@dataclass(frozen=True)
class SarReport:
    """What a SAR reports, gathered for its export and its printable page."""

    sar: Sar
    alerts: list[Alert]
    accounts: list
    activity_from: object
    activity_to: object


def sar_report(*, sar: Sar) -> SarReport:
    alerts = sorted(sar.subject_alerts(), key=lambda alert: alert.raised_at)
    accounts = list({alert.account_id: alert.account for alert in alerts}.values())
    return SarReport(
        sar=sar,
        alerts=alerts,
        accounts=accounts,
        activity_from=alerts[0].raised_at if alerts else None,
        activity_to=alerts[-1].raised_at if alerts else None,
    )


@dataclass(frozen=True)
class AlertTrigger:
    """The activity of the alert's account that its rule looked at: the rule's window up to the alert."""

    start: datetime
    end: datetime
    orders: list[Order]
    trades: list[AccountTrade]
    deposits: list[Deposit]
    withdrawals: list[Withdrawal]


def _named_ids(facts: dict) -> set[str]:
    """The transactions an alert's facts name (a large trade or transfer, a wash trade, structured transfers)."""
    ids = {facts.get("transaction_id"), facts.get("trade_id")}
    ids.update(transfer.get("id") for transfer in facts.get("transfers", []) if isinstance(transfer, dict))
    return {i for i in ids if isinstance(i, str)}


def _alert_window(alert: Alert) -> timedelta:
    """The window the rule counted over: in the facts when the rule recorded it, else the rule's current one."""
    seconds = alert.facts.get("window_seconds") or (alert.rule.window_seconds if alert.rule else 0)
    return timedelta(seconds=int(seconds))


def _between(field: str, start: datetime, end: datetime) -> dict:
    return {f"{field}__gte": start, f"{field}__lte": end}


def alert_trigger(*, alert: Alert) -> AlertTrigger:
    end = alert.raised_at
    start = end - _alert_window(alert)
    account_id, named = alert.account_id, _named_ids(alert.facts)
    in_window = Q(**_between("created_at", start, end))
    trades = _account_trades(account_id).filter(Q(**_between("executed_at", start, end)) | Q(pk__in=named))
    trade_orders = Q(buy_trades__id__in=named) | Q(sell_trades__id__in=named)
    orders = Order.objects.filter(in_window | trade_orders, account_id=account_id).distinct()
    return AlertTrigger(
        start=start,
        end=end,
        orders=list(orders.order_by("-created_at")[:TRIGGER_LIMIT]),
        trades=_seen_from(account_id, trades.order_by("-executed_at")[:TRIGGER_LIMIT]),
        deposits=list(Deposit.objects.filter(in_window | Q(pk__in=named), account_id=account_id)[:TRIGGER_LIMIT]),
        withdrawals=list(Withdrawal.objects.filter(in_window | Q(pk__in=named), account_id=account_id)[:TRIGGER_LIMIT]),
    )


@dataclass(frozen=True)
class AccountInvestigation:
    """Everything an officer reads about one account, on one page."""

    account: Account
    balances: list[Balance]
    open_orders: list[Order]
    trades: list[AccountTrade]
    deposits: list[Deposit]
    withdrawals: list[Withdrawal]
    alerts: list[Alert]
    kyc_changes: list[KycChange]


def account_investigation(*, account_id: str, limit: int = RECENT_ACTIVITY_LIMIT) -> AccountInvestigation | None:
    account = Account.objects.select_related("user").filter(pk=account_id).first()
    if account is None:
        return None
    open_statuses = [OrderStatus.PENDING, *RESTING_STATUSES]
    return AccountInvestigation(
        account=account,
        balances=list(Balance.objects.filter(account=account).order_by("currency")),
        open_orders=list(Order.objects.filter(account=account, status__in=open_statuses).order_by("-created_at")[:limit]),
        trades=_seen_from(account_id, _account_trades(account_id).order_by("-executed_at")[:limit]),
        deposits=list(Deposit.objects.filter(account=account)[:limit]),
        withdrawals=list(Withdrawal.objects.filter(account=account)[:limit]),
        alerts=list(Alert.objects.filter(account=account).select_related("assignee")[:limit]),
        kyc_changes=list(KycChange.objects.filter(account=account).select_related("actor")[:limit]),
    )


def account_timeline(*, account_id: str, alert: Alert | None) -> dict:
    """The account's orders, trades, transfers and alerts around an alert (or the last hour), for the chart.

    Times are epoch milliseconds, the chart's linear axis; each point carries the id it stands for. Series are
    named by kind in the singular ("order", not "orders", which names a channel).
    """
    if alert is None:
        end = timezone.now()
        start = end - timedelta(hours=1)
    else:
        window = _alert_window(alert)
        margin = max(window, TIMELINE_MARGIN)
        start, end = alert.raised_at - window - margin, alert.raised_at + margin

    def points(rows: QuerySet, field: str) -> list[dict]:
        rows = rows.filter(**_between(field, start, end)).order_by(field).values_list("id", field)
        return [{"x": int(at.timestamp() * 1000), "id": pk} for pk, at in rows[:TIMELINE_LIMIT]]

    return {
        "start": int(start.timestamp() * 1000),
        "end": int(end.timestamp() * 1000),
        "alert": {"id": alert.id, "x": int(alert.raised_at.timestamp() * 1000)} if alert else None,
        "series": {
            "order": points(Order.objects.filter(account_id=account_id), "created_at"),
            "trade": points(_account_trades(account_id), "executed_at"),
            "deposit": points(Deposit.objects.filter(account_id=account_id), "created_at"),
            "withdrawal": points(Withdrawal.objects.filter(account_id=account_id), "created_at"),
            "alert": points(Alert.objects.filter(account_id=account_id), "raised_at"),
        },
    }
