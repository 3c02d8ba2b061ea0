"""The admin posts, edits and cancels notices and sets statuses through the services, so clients are told."""

from datetime import timedelta

import pytest
from django.contrib.admin.utils import quote
from django.utils import timezone

from operations.models import MaintenanceNotice, NoticeState, ServiceStatus
from tests.operations.support import system_health_events
from tests.two_factor import force_login_verified

pytestmark = pytest.mark.django_db

NOTICES = "/admin/operations/maintenancenotice/"


@pytest.fixture
def admin_client(client, administrator):
    force_login_verified(client, administrator)
    return client


def form(start, end, description="Engine upgrade", service="matching_engine"):
    return {
        "service": service,
        "start_time_0": start.strftime("%Y-%m-%d"), "start_time_1": start.strftime("%H:%M:%S"),
        "end_time_0": end.strftime("%Y-%m-%d"), "end_time_1": end.strftime("%H:%M:%S"),
        "description": description,
    }


def test_post_edit_and_cancel_in_the_admin(admin_client, administrator):
    now = timezone.now()
    response = admin_client.post(f"{NOTICES}add/", form(now + timedelta(hours=1), now + timedelta(hours=2)))
    assert response.status_code == 302, response.content.decode()[:2000]
    notice = MaintenanceNotice.objects.get()
    assert notice.author == administrator
    assert [e["type"] for e in system_health_events()] == ["maintenance_notice"]

    # The admin's own links quote ids (quote): raw, an id such as mnt_25e3... would be read as mnt%e3...
    response = admin_client.post(
        f"{NOTICES}{quote(notice.pk)}/change/", form(now + timedelta(hours=1), now + timedelta(hours=3), "Longer")
    )
    assert (response.status_code, response.url) == (302, NOTICES), "saved, back to the list (not 'no such notice')"
    assert system_health_events()[-1]["description"] == "Longer"

    admin_client.post(NOTICES, {"action": "cancel_notices", "_selected_action": [notice.pk]})
    notice.refresh_from_db()
    assert notice.state == NoticeState.CANCELLED
    assert system_health_events()[-1]["description"] == "Cancelled: Longer"


def test_the_admin_form_refuses_a_bad_window(admin_client):
    now = timezone.now()
    response = admin_client.post(f"{NOTICES}add/", form(now + timedelta(hours=2), now + timedelta(hours=1)))
    assert response.status_code == 200 and b"Must be after start_time." in response.content
    assert not MaintenanceNotice.objects.exists() and system_health_events() == []


def test_setting_a_status_in_the_admin_broadcasts_it(admin_client):
    response = admin_client.post(
        "/admin/operations/servicestatus/market_data/change/", {"status": "degraded", "message": "Feed lag"}
    )
    assert response.status_code == 302
    assert ServiceStatus.objects.get(pk="market_data").status == "degraded"
    assert [e["type"] for e in system_health_events()] == ["service_degraded", "system_status"]
