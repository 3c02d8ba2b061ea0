from decimal import Decimal as D

import pytest
from asgiref.sync import sync_to_async
from django.db import OperationalError, connection

from accounts.roles import TRADER
from tests.e2e.server import daphne, daphne_redis, daphne_servers  # noqa: F401  (fixtures)
from tests.support.kyc import kyc_set
from trading.services import deposit_create

FLUSH_ATTEMPTS = 5


@pytest.fixture(scope="session", autouse=True)
def flush_retried_after_a_deadlock():
    """The servers run their background jobs (as in production). A job's transaction may hold a table that the
    teardown's TRUNCATE of every table needs while it waits for one the TRUNCATE has locked already; PostgreSQL
    then aborts the TRUNCATE as the deadlock's victim and the next test starts on the last one's rows. The
    flush rolled back whole, so it is run again once the job has gone on. Session-scoped: in place until every
    test's flush has run."""
    operations = type(connection.ops)
    flush = operations.execute_sql_flush

    def flush_retried(self, sql_list):
        for attempt in range(1, FLUSH_ATTEMPTS + 1):
            try:
                return flush(self, sql_list)
            except OperationalError as error:
                if "deadlock detected" not in str(error) or attempt == FLUSH_ATTEMPTS:
                    raise

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(operations, "execute_sql_flush", flush_retried)
        yield


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
