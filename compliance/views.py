from functools import wraps

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import render

from accounts.roles import user_is_officer

from . import metrics, selectors
from .models import Alert


def officer_required(view):
    """Signed-in officers only: anyone else signing in is sent to the login, a signed-in trader gets 403."""

    @login_required
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not user_is_officer(request.user):
            raise PermissionDenied("Only compliance officers may open this page.")
        return view(request, *args, **kwargs)

    return guarded


def _page(request, template: str, title: str, **context):
    # Without the admin's app list on the left: these pages need the whole width of a laptop screen.
    site = {**admin.site.each_context(request), "is_nav_sidebar_enabled": False}
    return render(request, template, {**site, "title": title, **context})


@officer_required
def console(request):
    """The live console: open alerts now, then every new or changed alert from compliance_events."""
    alerts = [selectors.alert_console_row(alert=alert) for alert in selectors.alert_list_recent()]
    return _page(request, "compliance/console.html", "Compliance console", alerts=alerts)


@officer_required
def console_row(request, alert_id: str):
    """One console row, fetched when an event about the alert arrives (the events carry less than the row)."""
    row = selectors.alert_console_row_get(alert_id=alert_id)
    if row is None:
        raise Http404("No such alert.")
    return JsonResponse(row)


@officer_required
def account_investigation(request, account_id: str):
    """One account on one page: balances, orders, trades, transfers, alerts, KYC, and a timeline around an alert."""
    investigation = selectors.account_investigation(account_id=account_id)
    if investigation is None:
        raise Http404("No such account.")
    alert = None
    if request.GET.get("alert"):
        alert = Alert.objects.filter(pk=request.GET["alert"], account_id=account_id).select_related("rule").first()
    elif investigation.alerts:
        alert = investigation.alerts[0]
    timeline = selectors.account_timeline(account_id=account_id, alert=alert)
    return _page(
        request, "compliance/account.html", f"Investigation of {account_id}",
        investigation=investigation, timeline_alert=alert, timeline=timeline,
    )


@officer_required
def dashboard(request):
    return _page(request, "compliance/dashboard.html", "Compliance dashboard", metrics=metrics.dashboard_read())
