"""compliance_events over the WebSocket: officers and administrators only."""

import pytest
from asgiref.sync import sync_to_async

from compliance.services import alert_assign
from tests.event_shapes import assert_event_shape

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_trader_cannot_subscribe_to_compliance_events(authed, trader):
    client = await authed(trader)
    reply = await client.request({"type": "subscribe", "channel": "compliance_events", "correlation_id": "c1"})
    assert reply["type"] == "error" and reply["code"] == "INSUFFICIENT_PERMISSIONS"
    assert reply["details"]["channel"] == "compliance_events" and reply["correlation_id"] == "c1"


async def test_officers_and_administrators_follow_alerts_live(authed, officer, administrator, trader, rules, make_alert):
    clients = [await authed(officer), await authed(administrator)]
    for client in clients:
        reply = await client.request({"type": "subscribe", "channel": "compliance_events"})
        assert reply["status"] == "subscribed"
    alert = await sync_to_async(make_alert)(trader.account.id)
    await sync_to_async(alert_assign)(alert_id=alert.id, assignee=officer, actor=officer)
    for client in clients:
        raised = await client.wait_for("suspicious_activity_detected", alert_id=alert.id)
        updated = await client.wait_for("alert_updated", alert_id=alert.id)
        assert_event_shape(raised)
        assert_event_shape(updated)
        assert updated["assignee"] == officer.username and updated["sequence"] == raised["sequence"] + 1
