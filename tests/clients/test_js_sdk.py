"""The TypeScript SDK (clients/js, built) under Node against real daphne: its example script follows an order flow
across a server restart with every event once; expired access tokens are refreshed without a reconnect; and
its own unit tests (node --test). Node and the built SDK are required in CI (make test builds it)."""

import asyncio
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from rest_framework_simplejwt.tokens import RefreshToken

from tests.clients.support import PASSWORD, fund, place_resting_order, restartable  # noqa: F401  (fixture)
from tests.conftest import token_for
from tests.support.node import node_requiring

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

JS_DIR = Path(__file__).resolve().parents[2] / "clients" / "js"
TIMEOUT_S = 30


@pytest.fixture
def node() -> str:
    return node_requiring(
        JS_DIR / "dist" / "index.js",
        "the TypeScript SDK is not built (npm ci --prefix clients/js && npm run build --prefix clients/js, which make test runs)",
    )


class NodeScript:
    """A node process printing JSON lines; every line read is kept in `lines`."""

    def __init__(self, process):
        self.process = process
        self.lines: list[dict] = []

    async def until(self, check) -> dict:
        while True:
            line = await asyncio.wait_for(self.process.stdout.readline(), TIMEOUT_S)
            if not line:
                raise AssertionError(f"node exited with {await self.process.wait()}: {(await self.process.stderr.read()).decode()}")
            self.lines.append(json.loads(line))
            if check(self.lines[-1]):
                return self.lines[-1]

    def events(self, kind: str = "") -> list[dict]:
        return [line["event"] for line in self.lines if "event" in line and line["event"]["type"].startswith(kind)]

    async def created(self, count: int) -> list[dict]:
        while len(self.events("order_created")) < count:
            await self.until(lambda line: line.get("event", {}).get("type") == "order_created")
        return self.events("order_created")


@pytest.fixture
async def run_node(node):
    started: list[NodeScript] = []

    async def run(script: str, *args: str, env: dict[str, str] | None = None) -> NodeScript:
        process = await asyncio.create_subprocess_exec(
            node, str(JS_DIR / script), *args, cwd=JS_DIR, env={**os.environ, **(env or {})},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        started.append(NodeScript(process))
        return started[-1]

    yield run
    for script in started:
        if script.process.returncode is None:
            script.process.kill()
            await script.process.wait()


def notice(kind: str):
    return lambda line: line.get("notice", {}).get("kind") == kind


async def test_the_example_follows_its_order_across_a_server_restart_with_every_event_once(run_node, restartable, trader, markets):
    account_id = await sync_to_async(lambda: trader.account.id)()
    await sync_to_async(fund)(account_id)
    example = await run_node("examples/follow-orders.mjs", restartable.server.base_url, trader.username, PASSWORD)
    placed = [(await example.until(lambda line: "placed" in line))["placed"]]
    placed += [await place_resting_order(account_id) for _ in range(4)]
    await example.created(5)

    await sync_to_async(restartable.stop)()
    await example.until(notice("disconnected"))
    placed += [await place_resting_order(account_id) for _ in range(5)]  # while the server is down
    await sync_to_async(restartable.start_again)()
    await example.until(lambda line: line.get("notice", {}).get("kind") == "connected" and line["notice"]["reconnect"])
    placed += [await place_resting_order(account_id) for _ in range(5)]
    created = await example.created(15)

    assert [event["order_id"] for event in created] == placed
    sequences = [event["sequence"] for event in example.events()]
    assert sequences == list(range(1, len(sequences) + 1))  # every event of the stream, once, in order
    assert created[0]["price"] == "150.25" and created[1]["price"] == "150.27"  # exact decimal strings
    resumed = [line["notice"] for line in example.lines if line.get("notice", {}).get("kind") == "subscribed"][-1]
    assert resumed["recovered"] is True and resumed["replayed"] >= 5


async def test_expired_access_tokens_are_refreshed_before_connecting_and_while_connected(run_node, restartable, trader, markets):
    account_id = await sync_to_async(lambda: trader.account.id)()
    await sync_to_async(fund)(account_id)
    first_refresh = await sync_to_async(lambda: str(RefreshToken.for_user(trader)))()
    expired = await sync_to_async(token_for)(trader, lifetime_s=-10)
    credentials = json.dumps({"tokens": {"access": expired, "refresh": first_refresh}})
    follower = await run_node("e2e/follow.mjs", restartable.server.base_url, env={"FOLLOW_CREDENTIALS": credentials})
    await follower.until(notice("subscribed"))
    placed = []
    # The expired token replaced before connecting, then two more on the open socket.
    while follower.lines[-1]["refreshes"] < 3:
        placed.append(await place_resting_order(account_id, price=str(Decimal("150.25"))))
        await follower.created(len(placed))
        await asyncio.sleep(0.25)  # pacing the flow over several token lifetimes, not a synchronisation
    assert follower.lines[-1]["connections"] == 1
    assert not [line for line in follower.lines if line.get("notice", {}).get("kind") == "disconnected"]
    assert [event["order_id"] for event in follower.events("order_created")] == placed


async def test_the_sdk_unit_tests_pass(node):
    process = await asyncio.create_subprocess_exec(
        node, "--test", "test/", cwd=JS_DIR, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), TIMEOUT_S)
    assert process.returncode == 0, output.decode()


def test_the_pages_load_the_sdk_as_built(node):
    """The compliance console and the status page import a committed copy of the browser bundle (so `make run`
    needs no Node); it must be what `npm run build` makes from the sources (refresh: `npm run static`)."""
    built = (JS_DIR / "dist" / "cantondex-client.browser.js").read_bytes()
    committed = (JS_DIR.parents[1] / "streams" / "static" / "streams" / "cantondex-client.js").read_bytes()
    assert committed == built, "streams/static/streams/cantondex-client.js is stale: run npm run static --prefix clients/js"
