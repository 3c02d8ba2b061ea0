"""The public status page (included at /status/ by cantondex.urls)."""

from django.conf import settings
from django.shortcuts import render
from django.urls import path

from .selectors import system_overview
from .serializers import SystemStatusSerializer


def status_page(request):
    overview = system_overview()
    return render(
        request,
        "operations/status.html",
        {
            "overview": overview,
            "initial_status": SystemStatusSerializer(overview).data,  # what GET /v1/system/status answers
            "live_socket": request.user.is_authenticated,
            "poll_ms": int(settings.CDX_STATUS_PAGE_POLL_S * 1000),
        },
    )


urlpatterns = [path("", status_page, name="status_page")]
