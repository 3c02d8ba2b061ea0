import pytest
from asgiref.sync import sync_to_async

from streams.publishing import publish
from tests.conftest import token_for
from tests.streams.sample_events import sample_event

pytestmark = pytest.mark.django_db(transaction=True)


async def test_auth_subscribe_and_receive_a_published_event(ws, trader):
    client = await ws()
    reply = await client.request({"type": "auth", "token": "Bearer " + token_for(trader), "correlation_id": "a1"})
    assert reply["type"] == "auth_response" and reply["status"] == "authenticated"
    assert reply["account_id"] == trader.account.id and reply["correlation_id"] == "a1"
    sub = await client.request({"type": "subscribe", "channel": "orders", "account_id": trader.account.id})
    assert sub["status"] == "subscribed"
    await sync_to_async(publish)(event=sample_event("orders", trader.account.id), key=trader.account.id)
    event = await client.wait_for("order_cancelled")
    assert event["sequence"] == 1 and event["channel"] == "orders" and event["timestamp"].endswith("Z")
