"""The seed's JavaScript example client, under Node with the `ws` package, against real daphne."""

import asyncio
import json
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from accounts.services import user_create
from streams.publishing import publish
from tests.support.ci import required_in_ci
from trading.events import OrderCreated, PriceUpdate, TradeExecuted

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

JS_DIR = Path(__file__).resolve().parents[1] / "js"
TIMEOUT_S = 30


@pytest.fixture
def node() -> str:
    """Node and the pinned ws package: required in CI, skipped with the reason elsewhere."""
    executable = shutil.which("node")
    required_in_ci(executable is not None, "node is not installed")
    required_in_ci(
        (JS_DIR / "node_modules" / "ws").is_dir(),
        "the ws package is not installed (npm ci --prefix tests/js, which make test runs)",
    )
    assert executable is not None  # required_in_ci failed or skipped otherwise
    return executable


async def read_json_line(process) -> dict:
    line = await asyncio.wait_for(process.stdout.readline(), TIMEOUT_S)
    if not line:
        raise AssertionError(f"node exited with {await process.wait()}: {(await process.stderr.read()).decode()}")
    return json.loads(line)


async def test_the_seed_javascript_client_authenticates_subscribes_and_receives(node, daphne, markets):
    password = "seed-client-password"
    user = await sync_to_async(user_create)(username="jsclient", password=password)
    account_id = await sync_to_async(lambda: user.account.id)()
    process = await asyncio.create_subprocess_exec(
        node, str(JS_DIR / "seed_client.js"), daphne.base_url, user.username, password, *markets,
        cwd=JS_DIR, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NODE_PATH": str(JS_DIR / "node_modules")},
    )
    try:
        lines = []
        subscribed: set[str] = set()
        snapshot_prices: set[str] = set()
        # Publish only once the market data snapshots are out: an event older than a snapshot is in it.
        while len(subscribed) < 3 or len(snapshot_prices) < len(markets):
            line = await read_json_line(process)
            lines.append(line)
            assert "error" not in line, (line, daphne.log())
            message = line.get("received", {})
            if message.get("type") == "subscription_response":
                assert message["status"] == "subscribed"
                subscribed.add(message["channel"])
            elif message.get("type") == "price_update" and message.get("snapshot"):
                snapshot_prices.add(message["symbol"])
        assert lines[0] == {"authenticated": True, "account_id": account_id}
        assert subscribed == {"orders", "trades", "market_data"}

        def announce():
            price, quantity, now = Decimal("150.5"), Decimal("1"), timezone.now()
            order = OrderCreated(
                account_id=account_id, order_id="ord_00000000000000aa", symbol=markets[0], side="buy",
                order_type="limit", quantity=quantity, price=price, status="open",
            )
            trade = TradeExecuted(
                account_id=account_id, trade_id="trd_00000000000000aa", order_id="ord_00000000000000aa",
                symbol=markets[0], side="buy", quantity=quantity, price=price, commission=Decimal("0"),
                gross_amount=price, net_amount=price, executed_at=now,
            )
            publish(event=order, key=account_id)
            publish(event=trade, key=account_id)
            publish(event=PriceUpdate.of(markets[0], price, price, price), key=markets[0])

        await sync_to_async(announce)()
        while not lines[-1].get("done"):
            lines.append(await read_json_line(process))
            assert "error" not in lines[-1], (lines[-8:], daphne.log())
        assert await asyncio.wait_for(process.wait(), TIMEOUT_S) == 0
        handled = {line["handled"]: line["sequence"] for line in lines if "handled" in line}
        assert handled == {"order_created": 1, "trade_executed": 1, "price_update": 1}
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
