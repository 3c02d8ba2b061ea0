"""A request that waited its whole pool timeout for a database connection gets 503 in the error envelope."""

import pytest
from django.db import OperationalError
from psycopg_pool import PoolTimeout
from rest_framework.test import APIClient

from tests.conftest import token_for
from tests.trading.conftest import approve

pytestmark = pytest.mark.django_db


def test_an_exhausted_pool_answers_503_not_500(trader, markets, monkeypatch):
    approve(trader)

    def pool_exhausted(**kwargs):
        timeout = PoolTimeout("couldn't get a connection after 5.00 sec")
        raise OperationalError(*timeout.args) from timeout  # how Django's error wrapper passes it on

    monkeypatch.setattr("trading.services.order_place", pool_exhausted)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(trader)}")
    response = api.post("/v1/orders", {"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": 1, "price": 1}, format="json")
    assert response.status_code == 503
    assert response.json() == {
        "code": "SERVICE_UNAVAILABLE",
        "message": "The service is busy; retry shortly.",
        "details": {"reason": "database_busy", "retry_after_s": 1},
    }
    assert response["Retry-After"] == "1"
