"""Maintenance means something: while matching_engine is in maintenance new orders get 503, cancels work."""

import pytest
from rest_framework.test import APIClient

from operations.gates import ensure_service_open
from operations.services import maintenance_notice_cancel, maintenance_notice_post, service_status_set
from tests.conftest import token_for
from tests.operations.support import window
from tests.trading.conftest import approve, fund

pytestmark = pytest.mark.django_db

ORDER = {"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": 1, "price": 150}


@pytest.fixture
def client(trader, markets):
    approve(trader)
    fund(trader, USDC="10000")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(trader)}")
    return api


def test_orders_are_refused_during_maintenance_and_cancels_still_work(client, administrator):
    resting = client.post("/v1/orders", ORDER, format="json")
    assert resting.status_code == 201, resting.json()

    notice = maintenance_notice_post(
        author=administrator, service="matching_engine", description="Engine upgrade", **window(-1, 3600)
    )
    refused = client.post("/v1/orders", ORDER, format="json")
    assert refused.status_code == 503
    body = refused.json()
    assert body["code"] == "SERVICE_UNAVAILABLE" and "Engine upgrade" in body["message"]
    assert body["details"]["notice_id"] == notice.id and body["details"]["service"] == "matching_engine"
    assert body["details"]["end_time"].endswith("Z")

    cancelled = client.delete(f"/v1/orders/{resting.json()['order_id']}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

    maintenance_notice_cancel(notice_id=notice.id)
    assert client.post("/v1/orders", ORDER, format="json").status_code == 201


def test_orders_pass_before_the_window_and_during_other_services_maintenance(client, administrator):
    maintenance_notice_post(author=administrator, service="matching_engine", description="Later", **window(600, 900))
    maintenance_notice_post(author=administrator, service="market_data", description="Feed", **window(-1, 900))
    assert client.post("/v1/orders", ORDER, format="json").status_code == 201


def test_an_administrator_taking_the_engine_down_refuses_orders(client):
    service_status_set(service="matching_engine", status="down", message="Incident")
    refused = client.post("/v1/orders", ORDER, format="json")
    assert refused.status_code == 503 and refused.json()["details"] == {"service": "matching_engine", "reason": "down"}
    service_status_set(service="matching_engine", status="degraded", message="Slow")
    assert client.post("/v1/orders", ORDER, format="json").status_code == 201


def test_gate_is_quiet_when_open():
    ensure_service_open(service="matching_engine")  # raises ServiceError when the service is closed
