"""daphne's RFC 6455 pings keep or drop a client that speaks no JSON heartbeat (README, Heartbeat)."""

import asyncio

import pytest

from tests.conftest import token_for
from tests.e2e.live import authenticated
from tests.support.ws import WsClient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A protocol ping after 1 s without a client frame, the peer dropped 1 s later without its pong; the JSON
# heartbeat far away, so that it cannot be what closes anything here. One connection per account.
PROTOCOL_PINGS = {
    "CDX_WS_PROTOCOL_PING_INTERVAL_S": "1",
    "CDX_WS_PROTOCOL_PING_TIMEOUT_S": "1",
    "CDX_WS_PING_INTERVAL_S": "600",
    "CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT": "1",
}
DROPPED_WITHIN_S = 15  # interval + daphne's 2 s check + timeout, with room for a loaded machine


@pytest.fixture
def server(daphne_servers):
    return daphne_servers.get(env=PROTOCOL_PINGS)


async def admitted(url: str, user) -> WsClient | None:
    client = await WsClient.open(url)
    reply = await client.request({"type": "auth", "token": token_for(user)})
    if reply["type"] == "error" and reply["code"] == "CONNECTION_LIMIT":
        await client.close()
        return None
    assert reply["type"] == "auth_response" and reply["status"] == "authenticated", reply
    return client


async def test_a_silent_client_that_answers_protocol_pings_keeps_its_connection(server, trader):
    client = await authenticated(server.ws_url, trader)
    # Silent for several protocol ping rounds (the websockets library answers them): still the account's one place.
    assert await client.nothing_more(timeout=6)
    assert await admitted(server.ws_url, trader) is None
    assert (await client.request({"type": "ping"}))["type"] == "pong"
    await client.close()


async def test_a_peer_that_stops_reading_is_dropped_by_daphne_and_its_place_freed(server, trader):
    dead = await authenticated(server.ws_url, trader)
    dead.transport.socket.transport.pause_reading()  # type: ignore[attr-defined]  # reads nothing, so answers no ping
    assert await admitted(server.ws_url, trader) is None  # it holds the account's place
    async with asyncio.timeout(DROPPED_WITHIN_S):
        while (replacement := await admitted(server.ws_url, trader)) is None:
            await asyncio.sleep(0.2)  # nothing announces the drop to a third party: ask again
    await replacement.close()
