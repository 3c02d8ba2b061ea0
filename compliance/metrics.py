"""Reads for the compliance dashboard: alert volume, ageing, SLA breaches and time to close, per day."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from statistics import median

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Alert, AlertStatus, Severity

DASHBOARD_DAYS = 30
# Open alerts by age: (label, upper bound); the last bucket has none.
AGE_BUCKETS: list[tuple[str, timedelta | None]] = [
    ("< 1 h", timedelta(hours=1)),
    ("1-4 h", timedelta(hours=4)),
    ("4-24 h", timedelta(hours=24)),
    ("1-3 d", timedelta(days=3)),
    ("3-7 d", timedelta(days=7)),
    ("> 7 d", None),
]


def _days(now: datetime, days: int) -> list[date]:
    today = timezone.localdate(now)
    return [today - timedelta(days=back) for back in range(days - 1, -1, -1)]


def _per_day(rows, days: list[date], key: str) -> dict[str, list[int]]:
    """{value of `key`: [count per day]} from rows of (day, key, count), every day present (zero when none)."""
    index = {day: position for position, day in enumerate(days)}
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    for row in rows:
        if row["day"] in index:
            series[row[key]][index[row["day"]]] += row["count"]
    return dict(series)


def alerts_per_day(*, now: datetime, days: int = DASHBOARD_DAYS) -> dict:
    day_list = _days(now, days)
    raised = (
        Alert.objects.filter(raised_at__date__gte=day_list[0])
        .annotate(day=TruncDate("raised_at"))
        .values("day", "alert_type", "severity")
        .annotate(count=Count("id"))
    )
    rows = list(raised)
    return {
        "days": [day.isoformat() for day in day_list],
        "by_type": _per_day(rows, day_list, "alert_type"),
        "by_severity": _per_day(rows, day_list, "severity"),
    }


def open_alerts_by_age(*, now: datetime) -> dict:
    """Open alerts counted by age bucket, one series per severity."""
    counts = {severity: [0] * len(AGE_BUCKETS) for severity in Severity.values}
    for severity, raised_at in Alert.objects.exclude(status=AlertStatus.CLOSED).values_list("severity", "raised_at"):
        age = now - raised_at
        bucket = next(i for i, (_, bound) in enumerate(AGE_BUCKETS) if bound is None or age < bound)
        counts[severity][bucket] += 1
    return {"buckets": [label for label, _ in AGE_BUCKETS], "by_severity": counts}


def sla_breaches_per_day(*, now: datetime, days: int = DASHBOARD_DAYS) -> dict:
    """Alerts whose SLA ran out on each day: closed after their due time, or still open past it."""
    day_list = _days(now, days)
    breached = Q(closed_at__gt=F("due_at")) | Q(closed_at__isnull=True, due_at__lt=now)
    rows = (
        Alert.objects.filter(breached, due_at__date__gte=day_list[0])
        .annotate(day=TruncDate("due_at"))
        .values("day", "severity")
        .annotate(count=Count("id"))
    )
    return {"days": [day.isoformat() for day in day_list], "by_severity": _per_day(rows, day_list, "severity")}


def median_hours_to_close_per_day(*, now: datetime, days: int = DASHBOARD_DAYS) -> dict:
    """The median hours from raised to closed of the alerts closed each day (None: none closed), and overall."""
    day_list = _days(now, days)
    hours: dict[date, list[float]] = defaultdict(list)
    closed = Alert.objects.filter(status=AlertStatus.CLOSED, closed_at__date__gte=day_list[0])
    for raised_at, closed_at in closed.values_list("raised_at", "closed_at"):
        assert closed_at is not None  # filtered on its date
        hours[timezone.localdate(closed_at)].append((closed_at - raised_at).total_seconds() / 3600)
    every = [h for day_hours in hours.values() for h in day_hours]
    return {
        "days": [day.isoformat() for day in day_list],
        "median_hours": [round(median(hours[day]), 2) if hours[day] else None for day in day_list],
        "overall_median_hours": round(median(every), 2) if every else None,
    }


def dashboard_read(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    return {
        "alerts_per_day": alerts_per_day(now=now),
        "open_by_age": open_alerts_by_age(now=now),
        "sla_breaches": sla_breaches_per_day(now=now),
        "time_to_close": median_hours_to_close_per_day(now=now),
    }
