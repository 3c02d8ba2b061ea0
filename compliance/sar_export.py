"""The SAR export a regulator's portal takes: CSV (RFC 4180, UTF-8, comma-separated, a header row, CRLF line ends),
one row per filed SAR and subject account (a SAR on a case of two accounts' alerts has two rows).

Columns, in order:
    report_id                 the SAR's id (sar_ + 16 hex digits), the same on every row of one SAR
    filed_at                  when it was filed, ISO 8601 in UTC (2026-11-30T06:31:29Z)
    filed_by                  the officer who filed it (username)
    approved_by               the second officer who approved the filing (username)
    case_id                   the case it reports (cas_...), empty for a SAR on a single alert
    subject_account_id        the reported trading account (acc_...)
    subject_username          its user
    subject_beneficial_owner  its beneficial owner reference, empty when unknown
    subject_kyc_status        its KYC status at export time (approved, pending_review, ...)
    subject_kyc_tier          its KYC tier (tier_0 ... tier_3)
    alert_ids                 the alerts behind the report for this account, space-separated
    activity_types            their types (unusual_trading_pattern, large_transaction, structuring, wash_trading,
                              spoofing, layering), space-separated, each once
    activity_from             when the first of those alerts was raised, ISO 8601 UTC
    activity_to               when the last was raised, ISO 8601 UTC
    narrative                 the officer's narrative, as written (newlines kept inside the quoted field)

A cell that would start with =, +, - or @ is prefixed with ' so spreadsheets do not run it as a formula.
"""

import csv
import io

from kernel.json import isoformat

from .models import Sar
from .selectors import sar_report

COLUMNS = [
    "report_id", "filed_at", "filed_by", "approved_by", "case_id", "subject_account_id", "subject_username",
    "subject_beneficial_owner", "subject_kyc_status", "subject_kyc_tier", "alert_ids", "activity_types",
    "activity_from", "activity_to", "narrative",
]


def _safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def sar_rows(sar: Sar) -> list[dict[str, str]]:
    report = sar_report(sar=sar)
    rows = []
    for account in report.accounts:
        alerts = [alert for alert in report.alerts if alert.account_id == account.id]
        rows.append({
            "report_id": sar.id,
            "filed_at": isoformat(sar.filed_at) if sar.filed_at else "",
            "filed_by": sar.filed_by.get_username() if sar.filed_by else "",
            "approved_by": sar.approved_by.get_username() if sar.approved_by else "",
            "case_id": sar.case_id or "",
            "subject_account_id": account.id,
            "subject_username": account.user.get_username(),
            "subject_beneficial_owner": account.beneficial_owner,
            "subject_kyc_status": account.kyc_status,
            "subject_kyc_tier": account.kyc_tier,
            "alert_ids": " ".join(alert.id for alert in alerts),
            "activity_types": " ".join(dict.fromkeys(alert.alert_type for alert in alerts)),
            "activity_from": isoformat(alerts[0].raised_at),
            "activity_to": isoformat(alerts[-1].raised_at),
            "narrative": sar.narrative,
        })
    return rows


def sars_csv(sars) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for sar in sars:
        for row in sar_rows(sar):
            writer.writerow({name: _safe(value) for name, value in row.items()})
    return out.getvalue()
