from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from accounts.roles import user_is_officer
from kernel.json import isoformat

from .selectors import alert_list_recent


@login_required
def console(request):
    """The live console: open alerts now, then every new or changed alert from compliance_events."""
    if not user_is_officer(request.user):
        raise PermissionDenied("Only compliance officers may open the compliance console.")
    alerts = [
        {
            "alert_id": alert.id,
            "account_id": alert.account_id,
            "alert_type": alert.alert_type,
            "severity": alert.severity,
            "status": alert.status,
            "assignee": alert.assignee.get_username() if alert.assignee else None,
            "description": alert.description,
            "raised_at": isoformat(alert.raised_at),
        }
        for alert in alert_list_recent()
    ]
    context = {**admin.site.each_context(request), "title": "Compliance console", "alerts": alerts}
    return render(request, "compliance/console.html", context)
