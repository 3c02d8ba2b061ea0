"""system_health over the WebSocket: the snapshot a late joiner gets, then every change, live and in order."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from kernel import jobs
from operations.models import MaintenanceNotice
from operations.services import maintenance_notice_cancel, maintenance_notice_post, service_status_set
from tests.event_shapes import assert_event_shape
from tests.operations.support import window

pytestmark = pytest.mark.django_db(transaction=True)

SUBSCRIBE = {"type": "subscribe", "channel": "system_health"}


async def subscribed(authed, user):
    client = await authed(user)
    reply = await client.request(SUBSCRIBE)
    assert reply["type"] == "subscription_response" and reply["status"] == "subscribed", reply
    return client


async def test_snapshot_on_subscribe_shows_status_degraded_services_and_live_notices(authed, trader, administrator):
    post = sync_to_async(maintenance_notice_post)
    active = await post(author=administrator, service="matching_engine", description="Upgrade", **window(-1, 3600))
    upcoming = await post(author=administrator, service="market_data", description="Feed switch", **window(600, 900))
    cancelled = await post(author=administrator, service="compliance_service", description="Gone", **window(60, 120))
    await sync_to_async(maintenance_notice_cancel)(notice_id=cancelled.id)
    await sync_to_async(service_status_set)(service="settlement_service", status="degraded", message="Slow ledger")

    client = await subscribed(authed, trader)
    status = await client.wait_for("system_status")
    assert status["snapshot"] is True and status["status"] == "maintenance" and status["all_services_healthy"] is False
    snapshot = [status]
    while len(snapshot) < 5:
        snapshot.append(await client.next())
    assert all(event["snapshot"] is True and event["channel"] == "system_health" for event in snapshot)
    sequence = snapshot[0]["sequence"]
    assert all(event["sequence"] == sequence for event in snapshot)  # the stream position they describe
    for event in snapshot:
        assert_event_shape({k: v for k, v in event.items() if k != "snapshot"})
    degraded = {(e["service"], e["status"]) for e in snapshot if e["type"] == "service_degraded"}
    assert degraded == {("matching_engine", "maintenance"), ("settlement_service", "degraded")}
    notices = {(e["service"], e["description"]) for e in snapshot if e["type"] == "maintenance_notice"}
    assert notices == {("matching_engine", active.description), ("market_data", upcoming.description)}

    # Live events follow the snapshot with the next sequence numbers.
    await sync_to_async(service_status_set)(service="settlement_service", status="operational")
    recovered = await client.wait_for("service_degraded", service="settlement_service")
    assert recovered["sequence"] == sequence + 1 and "snapshot" not in recovered
    assert (await client.wait_for("system_status"))["sequence"] == sequence + 2


async def test_snapshot_of_a_quiet_venue_is_one_system_status(authed, trader):
    client = await subscribed(authed, trader)
    status = await client.wait_for("system_status")
    assert (status["status"], status["all_services_healthy"], status["sequence"]) == ("operational", True, 0)
    assert await client.nothing_more()


async def test_a_trader_sees_a_notice_then_the_window_start_and_end_without_anyone_acting(authed, trader, administrator):
    client = await subscribed(authed, trader)
    await client.wait_for("system_status")  # the snapshot

    notice = await sync_to_async(maintenance_notice_post)(
        author=administrator, service="matching_engine", description="Engine upgrade", **window(-1, 3600)
    )
    announced = await client.wait_for("maintenance_notice")
    assert_event_shape(announced)
    assert announced["service"] == "matching_engine" and announced["description"] == "Engine upgrade"

    await sync_to_async(jobs.run_due)(force=True)  # what the server's job thread does every second
    entered = await client.wait_for("service_degraded")
    started = await client.wait_for("system_status")
    assert_event_shape(entered)
    assert_event_shape(started)
    assert entered["status"] == "maintenance" and started["status"] == "maintenance"

    await sync_to_async(MaintenanceNotice.objects.filter(pk=notice.id).update)(
        start_time=timezone.now() - timedelta(seconds=2), end_time=timezone.now() - timedelta(seconds=1)
    )
    await sync_to_async(jobs.run_due)(force=True)
    returned = await client.wait_for("service_degraded")
    ended = await client.wait_for("system_status")
    assert returned["status"] == "operational"
    assert ended["status"] == "operational" and ended["all_services_healthy"] is True
    sequences = [m["sequence"] for m in client.received if "sequence" in m and "snapshot" not in m]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))


async def test_anyone_signed_in_may_subscribe(authed, officer, administrator):
    for user in (officer, administrator):
        client = await subscribed(authed, user)
        assert (await client.wait_for("system_status"))["snapshot"] is True
