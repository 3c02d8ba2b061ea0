"""What an alert's page shows of its account's activity: the orders, trades and transfers that triggered it."""

from django.contrib.admin.utils import quote  # the admin's own escaping of "_" in object ids
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from .. import selectors
from ..formatting import facts_display
from ..models import Alert


def admin_link(view: str, pk: str):
    return format_html('<a href="{}">{}</a>', reverse(f"admin:{view}", args=[quote(pk)]), pk)


def facts_list(alert: Alert):
    """The rule's facts as labelled, rounded values (the raw JSON stays in the audit trail's "raised" entry)."""
    if not alert.facts:
        return "none"
    rows = format_html_join("", "<dt>{}</dt><dd>{}</dd>", facts_display(alert.facts))
    return format_html('<dl class="alert-facts">{}</dl>', rows)


def alert_trigger_html(alert: Alert):
    """The rule's window up to the alert, and the account's orders, trades and transfers in it (or named by it)."""
    return render_to_string("compliance/alert_trigger.html", {"trigger": selectors.alert_trigger(alert=alert)})
