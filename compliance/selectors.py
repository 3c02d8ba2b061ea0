from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.roles import ADMIN, COMPLIANCE, GROUP_NAMES
from trading.models import Order, Trade

from .models import Alert, AlertAuditEntry, AlertStatus, Case, Sar

RECENT_ACTIVITY_LIMIT = 20


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


def account_recent_orders(*, account_id: str, limit: int = RECENT_ACTIVITY_LIMIT) -> list[Order]:
    return list(Order.objects.filter(account_id=account_id).order_by("-created_at")[:limit])


@dataclass(frozen=True)
class AccountTrade:
    """A trade seen from one account: its side and the other party."""

    trade: Trade
    side: str
    counterparty_id: str


def account_recent_trades(*, account_id: str, limit: int = RECENT_ACTIVITY_LIMIT) -> list[AccountTrade]:
    trades = Trade.objects.filter(Q(buyer_id=account_id) | Q(seller_id=account_id)).order_by("-executed_at")[:limit]
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
