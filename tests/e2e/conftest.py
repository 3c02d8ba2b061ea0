from decimal import Decimal as D

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from accounts.roles import TRADER
from tests.e2e.server import daphne, daphne_redis, daphne_servers  # noqa: F401  (fixtures)
from tests.support.kyc import kyc_set
from trading.services import deposit_create


@pytest.fixture
def make_trader(make_user, markets):
    """A trader who may trade without caps, with USDC to buy with."""

    def make():
        try:
            user = make_user(TRADER)
            kyc_set(user, status="approved", tier="tier_3")
            deposit_create(account_id=user.account.id, currency="USDC", amount=D("1000000"), transaction_hash="0xcluster")
            return user
        finally:
            connection.close()  # this runs on a worker thread: its session would outlive the test database

    return sync_to_async(make)
