"""Draining a process's hub (what SIGTERM does under daphne, cantondex/drain.py): every socket is told to
reconnect elsewhere and closed with 4012, its place under the connection limit given back at once, and a socket
that arrives meanwhile is sent away too. The two-process version: tests/e2e/test_cluster.py."""

import asyncio

import pytest

from streams.hub import drain_hub, get_hub, hubs_started
from streams.limits import connection_counter
from streams.protocol import CloseCode
from tests.streams.wire import assert_error

pytestmark = pytest.mark.django_db(transaction=True)

DRAIN_S = 10.0


async def test_draining_closes_every_socket_for_a_restart_and_gives_their_places_back(ws, authed, trader, monkeypatch):
    counted = [await authed(trader), await authed(trader)]
    unauthenticated = await ws()
    released = []
    counter = connection_counter()
    release = counter.release

    async def recorded_release(owner: str, connection_id: str) -> None:
        released.append(owner)
        await release(owner, connection_id)

    monkeypatch.setattr(counter, "release", recorded_release)
    draining = asyncio.ensure_future(drain_hub(timeout_s=DRAIN_S))
    for client in [*counted, unauthenticated]:
        error = await client.wait_for("error")
        assert assert_error(error, "CONNECTION_CLOSED") == {"reason": "server_restart", "closing": True}
        assert await client.wait_closed() == CloseCode.SERVICE_RESTART
    assert released == [trader.account.id] * 2, "both places given back before the clients answered the close"

    for client in [*counted, unauthenticated]:
        await client.close()  # the clients answer the close; then the relay finishes and the hub stops
    await asyncio.wait_for(draining, DRAIN_S)
    assert (await authed(trader)).received[-1]["status"] == "authenticated", "a new hub serves after the drain"


async def test_a_socket_that_arrives_while_the_hub_drains_is_sent_away(ws, authed, trader):
    holding = await authed(trader)  # keeps the drain waiting for its close
    draining = asyncio.ensure_future(drain_hub(timeout_s=DRAIN_S))
    await holding.wait_closed()
    latecomer = await ws()
    assert assert_error(await latecomer.wait_for("error"), "CONNECTION_CLOSED")["reason"] == "server_restart"
    assert await latecomer.wait_closed() == CloseCode.SERVICE_RESTART
    for client in (holding, latecomer):
        await client.close()
    await asyncio.wait_for(draining, DRAIN_S)


async def test_a_drain_that_a_client_never_finishes_is_cut_off_and_the_hub_stopped(ws, authed, trader, monkeypatch):
    stuck = await authed(trader)
    hub = await get_hub()

    async def never_closes() -> None:  # a client that never answers: the socket stays open
        await asyncio.Event().wait()

    [conn] = hub.sockets
    monkeypatch.setattr(conn, "close_for_restart", never_closes)
    await asyncio.wait_for(drain_hub(timeout_s=0.01), DRAIN_S)
    assert hub.draining
    assert hub not in hubs_started(), "the hub was stopped all the same"
    await stuck.close()
