from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.roles import ADMIN, COMPLIANCE, GROUP_NAMES

from .models import Alert, AlertStatus

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


def account_recent_orders(*, account_id: str, limit: int = RECENT_ACTIVITY_LIMIT) -> list:
    from trading.models import Order

    return list(Order.objects.filter(account_id=account_id).order_by("-created_at")[:limit])


def account_recent_trades(*, account_id: str, limit: int = RECENT_ACTIVITY_LIMIT) -> list:
    from trading.models import Trade

    return list(Trade.objects.filter(account_id=account_id).order_by("-executed_at")[:limit])
