"""CSV exports of the alert queue as filtered, and of those alerts' audit trail (read-only, for officers)."""

import csv
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from kernel.json import dumps, isoformat

from ..models import AlertAuditEntry

ALERT_COLUMNS = [
    "alert_id", "type", "severity", "status", "disposition", "account_id", "assignee", "raised_at", "due_at",
    "closed_at", "rule", "description",
]
AUDIT_COLUMNS = ["at", "alert_id", "actor", "action", "before", "after"]
# A cell a spreadsheet would run as a formula (CSV injection): prefixed with a quote to stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    text = isoformat(value) if hasattr(value, "tzinfo") else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_response(filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([_cell(value) for value in row])

    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    return StreamingHttpResponse(
        lines(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}-{stamp}.csv"'},
    )


def alerts_csv_response(alerts: QuerySet) -> StreamingHttpResponse:
    rows = (
        [
            a.id, a.alert_type, a.severity, a.status, a.disposition, a.account_id,
            a.assignee.get_username() if a.assignee else "", a.raised_at, a.due_at, a.closed_at, a.rule_id,
            a.description,
        ]
        for a in alerts.select_related("assignee").iterator(chunk_size=500)
    )
    return _csv_response("alerts", ALERT_COLUMNS, rows)


def audit_csv_response(alerts: QuerySet) -> StreamingHttpResponse:
    entries = AlertAuditEntry.objects.filter(alert__in=alerts.order_by().values("pk")).select_related("actor")
    rows = (
        [
            e.at, e.alert_id, e.actor.get_username() if e.actor else "surveillance", e.action,
            "" if e.before is None else dumps(e.before), "" if e.after is None else dumps(e.after),
        ]
        for e in entries.order_by("at", "id").iterator(chunk_size=500)
    )
    return _csv_response("alert-audit-trail", AUDIT_COLUMNS, rows)
