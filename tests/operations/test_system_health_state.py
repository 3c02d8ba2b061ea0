"""system_health as state: a snapshot plus the events after it, applied in order, equals a fresh snapshot."""

import pytest
from asgiref.sync import sync_to_async

from operations.selectors import system_overview
from operations.services import (
    maintenance_notice_cancel,
    maintenance_notice_post,
    maintenance_notice_update,
    maintenance_windows_advance,
    service_status_set,
)
from streams.publishing import stream_sequence
from tests.operations.support import window
from tests.streams.wire import next_reply

pytestmark = pytest.mark.django_db(transaction=True)


def health_state(events: list[dict]) -> dict:
    """A client's view: the overall status, the services not operational, the windows announced and not withdrawn."""
    state: dict = {"status": None, "services": {}, "notices": {}}
    for event in events:
        if event["type"] == "system_status":
            state["status"] = (event["status"], event["all_services_healthy"])
        elif event["type"] == "service_degraded":
            if event["status"] == "operational":
                state["services"].pop(event["service"], None)
            else:
                state["services"][event["service"]] = (event["status"], event["message"])
        elif event["type"] == "maintenance_notice":
            window_key = (event["service"], event["start_time"])  # how clients know a window
            if event["end_time"] == event["start_time"]:  # withdrawn
                state["notices"].pop(window_key, None)
            else:
                state["notices"][window_key] = (event["end_time"], event["description"])
    return state


async def health_snapshot(authed, user) -> tuple:
    client = await authed(user)
    await client.send({"type": "subscribe", "channel": "system_health"})
    assert (await next_reply(client))["status"] == "subscribed"
    overview = await sync_to_async(system_overview)()
    not_operational = [view for view in overview.services if view.status != "operational"]
    snapshot = [await client.next() for _ in range(1 + len(not_operational) + len(overview.notices))]
    assert snapshot[0]["type"] == "system_status"
    assert all(event["snapshot"] is True and event["sequence"] == snapshot[0]["sequence"] for event in snapshot)
    return client, snapshot


async def test_a_snapshot_plus_the_events_after_it_is_a_fresh_snapshot(authed, trader, administrator):
    act = sync_to_async
    await act(service_status_set)(service="compliance_service", status="degraded", message="Slow rules")
    moved = await act(maintenance_notice_post)(
        author=administrator, service="market_data", description="Feed switch", **window(600, 900)
    )
    client, events = await health_snapshot(authed, trader)

    await act(service_status_set)(service="settlement_service", status="down", message="Ledger unreachable")
    await act(maintenance_notice_update)(
        notice_id=moved.id, service="market_data", description="Feed switch, later", **window(1200, 1500)
    )
    dropped = await act(maintenance_notice_post)(
        author=administrator, service="websocket_gateway", description="Gone", **window(60, 120)
    )
    await act(maintenance_notice_post)(
        author=administrator, service="matching_engine", description="Upgrade", **window(-1, 3600)
    )
    await act(maintenance_windows_advance)()  # the job starts the window that is due
    await act(maintenance_notice_cancel)(notice_id=dropped.id)
    await act(service_status_set)(service="compliance_service", status="operational")
    await act(service_status_set)(service="settlement_service", status="degraded", message="Ledger slow")

    last = await act(stream_sequence)(channel="system_health")
    while events[-1]["sequence"] < last:
        message = await client.next()
        if "sequence" in message:
            events.append(message)
    live = [event["sequence"] for event in events if not event.get("snapshot")]
    assert live == list(range(events[0]["sequence"] + 1, last + 1)), "every change arrived, in order"

    _, fresh = await health_snapshot(authed, trader)
    replayed = health_state(events)
    assert replayed == health_state(fresh)
    assert replayed["status"] == ("maintenance", False)
    assert replayed["services"] == {
        "matching_engine": ("maintenance", "Upgrade"),
        "settlement_service": ("degraded", "Ledger slow"),
    }
    assert sorted(service for service, _ in replayed["notices"]) == ["market_data", "matching_engine"]
