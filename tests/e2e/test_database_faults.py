"""The database connection drops under a running daphne (PostgreSQL terminates its sessions): the server
reconnects by itself, keeps delivering, and admits new clients; nothing published meanwhile is lost."""

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from streams.publishing import publish
from tests.e2e.server import SERVER_APP_NAME
from tests.e2e.test_daphne import authenticated
from tests.support.ci import required_in_ci
from trading.events import OrderCancelled

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def terminate_server_sessions() -> int:
    """Kill the servers' sessions on the test database, as a PostgreSQL restart or a failover would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [SERVER_APP_NAME],
        )
        return cursor.fetchone()[0]


def cancelled(account_id: str, n: int) -> OrderCancelled:
    return OrderCancelled(account_id=account_id, order_id=f"ord_{n:016x}", reason="user_requested")


async def test_dropped_database_connections_are_replaced_and_nothing_is_lost(daphne, trader, other_trader):
    required_in_ci(connection.vendor == "postgresql", "terminating sessions needs PostgreSQL (CI runs it)")
    account_id = trader.account.id
    client = await authenticated(daphne.ws_url, trader)
    await client.request({"type": "subscribe", "channel": "orders", "account_id": account_id})
    await sync_to_async(publish)(event=cancelled(account_id, 1), key=account_id)
    assert (await client.wait_for("order_cancelled"))["sequence"] == 1

    assert await sync_to_async(terminate_server_sessions)() >= 1, "daphne held a database session"
    for n in (2, 3):
        await sync_to_async(publish)(event=cancelled(account_id, n), key=account_id)
    received = [await client.wait_for("order_cancelled", timeout=10) for _ in range(2)]
    assert [e["sequence"] for e in received] == [2, 3]

    newcomer = await authenticated(daphne.ws_url, other_trader)  # the principal lookup reconnects too
    await newcomer.close()
    await client.close()
