"""REST: GET /v1/system/status for anyone, maintenance notices and service status for administrators only."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from operations.models import MaintenanceNotice
from tests.conftest import token_for
from tests.operations.support import system_health_events

pytestmark = pytest.mark.django_db

NOTICES = "/v1/system/maintenance-notices"


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def notice_body(**changes):
    now = timezone.now()
    body = {
        "service": "matching_engine",
        "start_time": (now + timedelta(minutes=1)).isoformat(),
        "end_time": (now + timedelta(hours=1)).isoformat(),
        "description": "Engine upgrade",
    }
    return {**body, **changes}


def test_administrator_posts_a_notice(administrator):
    response = client_for(administrator).post(NOTICES, notice_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["notice_id"].startswith("mnt_") and body["state"] == "scheduled"
    assert body["author"] == administrator.username and body["service"] == "matching_engine"
    assert [e["type"] for e in system_health_events()] == ["maintenance_notice"]


@pytest.mark.parametrize("who", [None, "trader", "officer"])
def test_only_administrators_may_post(who, request):
    user = request.getfixturevalue(who) if who else None
    response = client_for(user).post(NOTICES, notice_body(), format="json")
    assert response.status_code == (401 if user is None else 403)
    assert not MaintenanceNotice.objects.exists() and system_health_events() == []


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"service": "toaster"}, "service"),
        ({"service": 7}, "service"),
        ({"start_time": "tomorrow"}, "start_time"),
        ({"end_time": 12345}, "end_time"),
        ({"end_time": "99999-01-01T00:00:00Z"}, "end_time"),
        ({"description": ""}, "description"),
        ({"description": "x" * 501}, "description"),
        ({"description": ["a"]}, "description"),
        ({"description": 0}, "description"),  # text is a JSON string, not a number turned into one
    ],
)
def test_bad_input_is_400_with_the_field(administrator, changes, field):
    response = client_for(administrator).post(NOTICES, notice_body(**changes), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_end_before_start_is_400_with_the_field(administrator):
    now = timezone.now()
    body = notice_body(end_time=now.isoformat(), start_time=(now + timedelta(hours=1)).isoformat())
    response = client_for(administrator).post(NOTICES, body, format="json")
    assert response.status_code == 400 and "end_time" in response.json()["errors"]


def test_overlap_is_409(administrator):
    client = client_for(administrator)
    first = client.post(NOTICES, notice_body(), format="json").json()
    response = client.post(NOTICES, notice_body(), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "MAINTENANCE_OVERLAP"
    assert response.json()["details"]["notice_id"] == first["notice_id"]


def test_status_is_public_and_lists_services_and_notices(administrator):
    client_for(administrator).post(NOTICES, notice_body(), format="json")
    response = APIClient().get("/v1/system/status")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "operational" and body["all_services_healthy"] is True
    assert {s["service"] for s in body["services"]} == {
        "matching_engine", "settlement_service", "compliance_service", "market_data", "websocket_gateway",
    }
    [notice] = body["maintenance_notices"]
    assert notice["description"] == "Engine upgrade" and notice["state"] == "scheduled"


def test_status_shows_maintenance_in_effect(administrator):
    now = timezone.now()
    body = notice_body(start_time=(now - timedelta(seconds=1)).isoformat())
    notice_id = client_for(administrator).post(NOTICES, body, format="json").json()["notice_id"]
    status = APIClient().get("/v1/system/status").json()
    assert status["status"] == "maintenance" and status["all_services_healthy"] is False
    engine = next(s for s in status["services"] if s["service"] == "matching_engine")
    assert engine["status"] == "maintenance" and engine["maintenance_notice_id"] == notice_id


def test_cancel_endpoint(administrator, trader):
    notice_id = client_for(administrator).post(NOTICES, notice_body(), format="json").json()["notice_id"]
    assert client_for(trader).post(f"{NOTICES}/{notice_id}/cancel").status_code == 403
    response = client_for(administrator).post(f"{NOTICES}/{notice_id}/cancel")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert client_for(administrator).post(f"{NOTICES}/{notice_id}/cancel").status_code == 409
    assert client_for(administrator).post(f"{NOTICES}/mnt_ffffffffffffffff/cancel").status_code == 404
    assert APIClient().get("/v1/system/status").json()["maintenance_notices"] == []


def test_set_service_status(administrator, trader):
    url = "/v1/system/services/market_data"
    assert client_for(trader).put(url, {"status": "down"}, format="json").status_code == 403
    response = client_for(administrator).put(url, {"status": "degraded", "message": "Slow feed"}, format="json")
    assert response.status_code == 200
    assert response.json() == {**response.json(), "service": "market_data", "status": "degraded", "message": "Slow feed"}
    assert [e["type"] for e in system_health_events()] == ["service_degraded", "system_status"]
    assert client_for(administrator).put(url, {"status": "maintenance"}, format="json").status_code == 400
    not_text = client_for(administrator).put(url, {"status": "down", "message": 0}, format="json")
    assert not_text.status_code == 400 and "message" in not_text.json()["details"]["errors"]
    bad = client_for(administrator).put("/v1/system/services/toaster", {"status": "down"}, format="json")
    assert bad.status_code == 400 and "service" in bad.json()["errors"]
