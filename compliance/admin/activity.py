"""The account's recent orders and trades on an alert's page, as small tables with links to the admin."""

from datetime import datetime
from decimal import Decimal

from django.contrib.admin.utils import quote  # the admin's own escaping of "_" in object ids
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from kernel.json import isoformat, plain

from .. import selectors


def admin_link(view: str, pk: str):
    return format_html('<a href="{}">{}</a>', reverse(f"admin:{view}", args=[quote(pk)]), pk)


def recent_orders_table(account_id: str):
    rows = selectors.account_recent_orders(account_id=account_id)
    return _table(
        ["order", "symbol", "side", "type", "quantity", "price", "status", "created"],
        [
            (admin_link("trading_order_change", o.id), o.market_id, o.side, o.order_type, o.quantity, o.price,
             o.status, o.created_at)
            for o in rows
        ],
    )


def recent_trades_table(account_id: str):
    rows = selectors.account_recent_trades(account_id=account_id)
    return _table(
        ["trade", "symbol", "side", "quantity", "price", "counterparty", "executed"],
        [
            (admin_link("trading_trade_change", r.trade.id), r.trade.market_id, r.side, r.trade.quantity,
             r.trade.price, admin_link("accounts_account_change", r.counterparty_id), r.trade.executed_at)
            for r in rows
        ],
    )


def _cell(value) -> str:
    if hasattr(value, "__html__"):
        return value
    if isinstance(value, Decimal):
        return str(plain(value))
    if isinstance(value, datetime):
        return isoformat(value)
    return "" if value is None else str(value)


def _table(headers: list[str], rows: list[tuple]):
    if not rows:
        return "none"
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((_cell(c),) for c in row)),) for row in rows)
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)
