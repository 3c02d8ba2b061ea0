"""A daphne that can be stopped and started again on the same port and database, an order flow to follow, and
the items a Python SDK client yields."""

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from tests.e2e.server import Server, start
from trading.services import deposit_create, order_place

PASSWORD = "correct-horse-1"  # tests.conftest make_user's default
# Short enough that a test outlives several access tokens; the client refreshes at 3/4 of the lifetime.
SHORT_ACCESS_LIFETIME_S = "4"
TIMEOUT_S = 30


@dataclass
class RestartableServer:
    server: Server
    log_dir: Path
    env: dict[str, str]

    def stop(self) -> None:
        self.server.stop()

    def start_again(self) -> None:
        """The same port and database, a new process: clients reconnect to the address they know."""
        self.server = start(env=self.env, log_dir=self.log_dir, port=self.server.port)


@pytest.fixture
def restartable(django_db_setup, tmp_path):
    env = {"CDX_JWT_ACCESS_LIFETIME_S": SHORT_ACCESS_LIFETIME_S}
    handle = RestartableServer(start(env=env, log_dir=tmp_path), tmp_path, env)
    yield handle
    handle.stop()


def fund(account_id: str) -> None:
    deposit_create(account_id=account_id, currency="USDC", amount=Decimal("1000000"), transaction_hash="0xsdk")


@sync_to_async
def place_resting_order(account_id: str, price: str = "150.27") -> str:
    """A buy that rests (nothing to sell): exactly one order_created on the account's orders stream."""
    order = order_place(account_id=account_id, symbol="AAPL/USDC", side="buy", order_type="limit", quantity=Decimal("2"), price=Decimal(price))
    return order.id


async def next_of(items, kind: type, seen: list | None = None):
    """The next item of `kind` from the client, keeping everything read on the way in `seen`."""
    while True:
        item = await asyncio.wait_for(anext(items), TIMEOUT_S)
        if seen is not None:
            seen.append(item)
        if isinstance(item, kind):
            return item
