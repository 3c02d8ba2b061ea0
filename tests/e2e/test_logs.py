"""A real daphne in production's log format: every line it writes is one JSON object; a request's lines carry
its id (echoed in X-Request-ID), a WebSocket's its connection id; a 4xx is one line; static files and the
schema write none worth reading."""

import asyncio
import json

import pytest

from tests.conftest import token_for
from tests.e2e.live import READ_TIMEOUT_S, http
from tests.e2e.server import Server, daphne_servers  # noqa: F401  (fixture)
from tests.support.ws import WsClient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def json_daphne(daphne_servers) -> Server:
    return daphne_servers.get(env={"CDX_LOG_FORMAT": "json", "CDX_LOG_LEVEL": "INFO"})


def log_lines(server: Server) -> list[dict]:
    """Every line the server wrote, each parsed as JSON (a line that is not fails the test)."""
    lines = []
    for number, line in enumerate(server.log_path.read_text().splitlines(), 1):
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"line {number} is not JSON: {line!r}") from None
    return lines


def get(server: Server, path: str, **headers: str) -> tuple[int, str]:
    """GET over real HTTP: the status and the X-Request-ID answered."""
    status, answered, _ = http(f"{server.base_url}{path}", headers=headers)
    return status, answered["X-Request-ID"]


async def logged(server: Server, condition) -> list[dict]:
    """The server's lines once `condition(lines)` holds (a line is written when the server gets to it)."""
    async with asyncio.timeout(READ_TIMEOUT_S):
        while not condition(lines := log_lines(server)):
            await asyncio.sleep(0.05)  # polling a file another process appends to: nothing to wait on
    return lines


async def test_a_request_is_one_json_line_with_its_id_and_a_4xx_is_logged_once(json_daphne):
    status, echoed = await asyncio.to_thread(get, json_daphne, "/v1/no-such-thing", **{"X-Request-ID": "req-404.a"})
    assert (status, echoed) == (404, "req-404.a")
    status, generated = await asyncio.to_thread(get, json_daphne, "/v1/no-such-thing", **{"X-Request-ID": "no spaces"})
    assert status == 404 and generated != "no spaces" and len(generated) == 32, "an implausible id is replaced"
    await asyncio.to_thread(get, json_daphne, "/static/admin/css/base.css")
    status, schema_id = await asyncio.to_thread(get, json_daphne, "/v1/schema")
    assert status == 200

    lines = log_lines(json_daphne)
    for request_id in ("req-404.a", generated):
        mine = [line for line in lines if line.get("request_id") == request_id]
        assert len(mine) == 1, mine
        assert mine[0]["code"] == 404 and mine[0]["level"] == "warning" and mine[0]["event"] == "request_finished"
    assert not [line for line in lines if "/static/" in json.dumps(line)], "static files served write no line"
    schema = [line for line in lines if line.get("request_id") == schema_id]
    assert [line["event"] for line in schema] == ["request_finished"], "the schema builds without warnings"


async def test_every_line_of_a_websocket_session_carries_its_connection_id(json_daphne, trader):
    client = await WsClient.open(json_daphne.ws_url)
    reply = await client.request({"type": "auth", "token": token_for(trader)})
    assert reply["status"] == "authenticated"
    await client.request({"type": "subscribe", "channel": "system_health"})
    await client.close()

    def session_closed(lines: list[dict]) -> bool:
        return any(line["event"] == "websocket_closed" for line in lines)

    consumer = [line for line in await logged(json_daphne, session_closed) if line["logger"] == "streams.consumer"]
    assert [line["event"] for line in consumer] == ["websocket_connected", "websocket_authenticated", "websocket_closed"]
    assert len({line["connection_id"] for line in consumer}) == 1, consumer
    assert consumer[1]["user_id"] == trader.id
