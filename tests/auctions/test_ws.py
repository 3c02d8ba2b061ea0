"""The auction channels and client messages over the WebSocket (WebsocketCommunicator on the real application)."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from asgiref.sync import sync_to_async

from accounts.services import api_key_create
from auctions.models import Auction
from auctions.services import auction_step, bid_submit
from tests.auctions.conftest import holdings, reserved_total, run_to_end

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def updates_at_once(settings):
    settings.CDX_AUCTION_UPDATE_INTERVAL_S = 0  # no throttling: every bid sends an auction_update


async def event(client, kind: str, **fields) -> dict:
    """The first message of this type (and field values) read so far or arriving next: streams and direct
    replies interleave, so what is wanted may have been read while waiting for something else."""
    for message in client.received:
        if message["type"] == kind and all(message.get(k) == v for k, v in fields.items()):
            return message
    return await client.wait_for(kind, **fields)


async def subscribe(client, **request) -> dict:
    reply = await client.request({"type": "subscribe", **request})
    assert reply["type"] == "subscription_response" and reply["status"] == "subscribed", reply
    return reply


async def test_a_bidder_follows_an_auction_from_its_first_bid_to_its_settlement(authed, new_auction, bidders):
    auction = await sync_to_async(new_auction)()
    await sync_to_async(bid_submit)(account_id=bidders[1].account.id, auction_id=auction.id, quantity=D("300"), price=D("153.5"))
    client = await authed(bidders[0])
    await subscribe(client, channel="auction", auction_id=auction.id)
    snapshot = await client.wait_for("auction_update")
    assert snapshot["snapshot"] is True and snapshot["payload"]["current_price"] == D("153.5")
    assert snapshot["payload"]["total_bids"] == 1 and snapshot["payload"]["status"] == "active"
    assert (await subscribe(client, channel="bids", auction_id=auction.id))["auction_id"] == auction.id
    standing = await client.wait_for("new_bid")
    assert standing["snapshot"] is True and standing["payload"]["price"] == D("153.5") and "account_id" not in standing["payload"]
    assert (await subscribe(client, channel="bids", auction_id=auction.id, own=True))["own"] is True
    await subscribe(client, channel="settlement", auction_id=auction.id)

    submit = {"type": "submit_bid", "auction_id": auction.id, "payload": {"quantity": 400, "price": 155, "is_marginal": False}}
    await client.send({**submit, "correlation_id": "b1"})
    accepted = await event(client, "bid_accepted", correlation_id="b1")
    assert accepted["channel"] == "bids" and "sequence" not in accepted
    bid_id = accepted["payload"]["bid_id"]
    assert (accepted["payload"]["status"], accepted["payload"]["reserved"]) == ("active", D("62062"))
    public = await event(client, "new_bid", snapshot=None)
    assert public["payload"]["bid_id"] == bid_id and public["payload"]["timestamp"] and public["payload"]["is_phantom"] is False
    own = await event(client, "bid_accepted", correlation_id=None)
    assert own["payload"]["bid_id"] == bid_id and own["sequence"] == 1
    update = await event(client, "auction_update", snapshot=None)
    assert (update["payload"]["current_price"], update["payload"]["total_bids"]) == (D("153.5"), 2)  # 700 clear up to 153.5
    assert set(update["payload"]) >= {"auction_id", "status", "current_price", "total_bids", "total_quantity", "time_remaining_ms", "supply_available"}

    await sync_to_async(run_to_end)(auction)
    complete = await event(client, "auction_complete")
    assert (complete["payload"]["clearing_price"], complete["payload"]["total_allocated"]) == (D("153.5"), D("700"))
    mine = await event(client, "bid_updated", snapshot=None)
    assert (mine["payload"]["status"], mine["payload"]["allocated_quantity"], mine["payload"]["clearing_price"]) == ("filled", D("400"), D("153.5"))
    for kind in ("settlement_started", "settlement_progress", "settlement_complete"):
        settled = await event(client, kind)
        assert settled["channel"] == "settlement" and settled["payload"]["auction_id"] == auction.id
    assert settled["payload"]["trades"] == 2 and len(settled["payload"]["dvp_transaction_ids"]) == 2


async def test_cancel_bid_and_refusals_are_answered_directly(authed, new_auction, bidders):
    auction = await sync_to_async(new_auction)()
    client = await authed(bidders[0])
    await subscribe(client, channel="bids", auction_id=auction.id)
    await subscribe(client, channel="bids", auction_id=auction.id, own=True)
    await client.send({"type": "submit_bid", "auction_id": auction.id, "payload": {"quantity": 10, "price": 150}, "correlation_id": 1})
    reply = await event(client, "bid_accepted", correlation_id=1)
    await event(client, "new_bid", snapshot=None), await event(client, "bid_accepted", correlation_id=None)
    await client.send({"type": "cancel_bid", "bid_id": reply["payload"]["bid_id"], "correlation_id": 2})
    cancelled = await event(client, "bid_cancelled", correlation_id=2)
    assert (cancelled["type"], cancelled["payload"]["status"], cancelled["correlation_id"]) == ("bid_cancelled", "cancelled", 2)
    withdrawn = await event(client, "bid_withdrawn")
    assert withdrawn["payload"] == {"bid_id": reply["payload"]["bid_id"], "auction_id": auction.id}
    assert (await event(client, "bid_cancelled", correlation_id=None))["sequence"] == 2

    low = await client.request({"type": "submit_bid", "auction_id": auction.id, "payload": {"quantity": 10, "price": 149}, "correlation_id": 3})
    assert (low["type"], low["payload"]["code"], low["correlation_id"]) == ("bid_rejected", "BID_TOO_LOW", 3)
    off_grid = await client.request({"type": "submit_bid", "auction_id": auction.id, "payload": {"quantity": 10.5, "price": 150}})
    assert (off_grid["type"], off_grid["payload"]["code"]) == ("bid_rejected", "VALIDATION_ERROR")
    assert "quantity" in off_grid["payload"]["details"]["errors"]
    unknown = await client.request({"type": "submit_bid", "auction_id": "auc_0000000000000000", "payload": {"quantity": 10, "price": 150}})
    assert (unknown["type"], unknown["payload"]["code"]) == ("bid_rejected", "AUCTION_NOT_FOUND")
    malformed = await client.request({"type": "submit_bid", "auction_id": auction.id, "payload": {"quantity": "10", "price": 150}})
    assert (malformed["type"], malformed["code"], malformed["details"]["field"]) == ("error", "INVALID_REQUEST", "payload.quantity")
    assert malformed["error"] == {"code": "INVALID_REQUEST", "message": malformed["message"], "details": malformed["details"]}
    again = await client.request({"type": "cancel_bid", "bid_id": reply["payload"]["bid_id"]})
    assert (again["type"], again["code"]) == ("error", "BID_NOT_ACTIVE")
    missing = await client.request({"type": "subscribe", "channel": "auction", "auction_id": "auc_0000000000000000"})
    assert (missing["type"], missing["code"], missing["error"]["code"]) == ("error", "AUCTION_NOT_FOUND", "AUCTION_NOT_FOUND")


async def test_an_officer_cannot_bid_and_a_stream_resumes_with_since(authed, new_auction, bidders, officer):
    auction = await sync_to_async(new_auction)()
    watcher = await authed(officer)
    refused = await watcher.request({"type": "submit_bid", "auction_id": auction.id, "payload": {"quantity": 10, "price": 150}})
    assert (refused["type"], refused["code"]) == ("error", "PERMISSION_DENIED")
    for user in bidders[:3]:
        await sync_to_async(bid_submit)(account_id=user.account.id, auction_id=auction.id, quantity=D("10"), price=D("150"))
    reply = await watcher.request({"type": "subscribe", "channel": "bids", "auction_id": auction.id, "since": 1})
    assert (reply["recovered"], reply["replayed"]) == (True, 2)
    replayed = [await watcher.wait_for("new_bid") for _ in range(2)]
    assert [event["sequence"] for event in replayed] == [2, 3]
    later = auction.closes_at + timedelta(milliseconds=auction.close_window_ms + 1000)
    await sync_to_async(auction_step)(auction_id=auction.id, now=later)
    assert (await sync_to_async(Auction.objects.get)(pk=auction.id)).status == "completed"


async def test_another_traders_bid_cannot_be_cancelled_and_bad_bids_change_nothing(authed, new_auction, bidders):
    auction = await sync_to_async(new_auction)()
    placed, _ = await sync_to_async(bid_submit)(account_id=bidders[0].account.id, auction_id=auction.id, quantity=D("10"), price=D("150"))
    before = await sync_to_async(lambda: (holdings(), reserved_total()))()
    client = await authed(bidders[1])
    foreign = await client.request({"type": "cancel_bid", "bid_id": placed.id, "correlation_id": "x"})
    assert (foreign["type"], foreign["code"], foreign["correlation_id"]) == ("error", "BID_NOT_FOUND", "x")
    for payload in ({"quantity": -10, "price": 150}, {"quantity": 0, "price": 150}, {"quantity": 10, "price": 150.001}, {"quantity": 10**13, "price": 150}):
        rejected = await client.request({"type": "submit_bid", "auction_id": auction.id, "payload": payload})
        assert (rejected["type"], rejected["payload"]["code"]) == ("bid_rejected", "VALIDATION_ERROR"), payload
    malformed = (
        {"type": "submit_bid", "payload": {"quantity": 10, "price": 150}},
        {"type": "submit_bid", "auction_id": auction.id},
        {"type": "cancel_bid", "bid_id": 7},
    )
    for message in malformed:
        assert (await client.request(message))["code"] == "INVALID_REQUEST"
    assert await sync_to_async(lambda: (holdings(), reserved_total()))() == before
    assert (await sync_to_async(Auction.objects.get)(pk=auction.id)).bid_sequence == 1


async def test_an_api_key_without_the_trade_scope_cannot_bid_over_the_websocket(ws, new_auction, bidders):
    auction = await sync_to_async(new_auction)()
    _, read_key = await sync_to_async(api_key_create)(user=bidders[0], scopes=["read"])
    client = await ws()
    assert (await client.request({"type": "auth", "api_key": read_key}))["status"] == "authenticated"
    refused = await client.request({"type": "submit_bid", "auction_id": auction.id, "payload": {"quantity": 10, "price": 150}})
    assert (refused["type"], refused["code"], refused["details"]["reason"]) == ("error", "PERMISSION_DENIED", "insufficient_scope")
    assert (await sync_to_async(Auction.objects.get)(pk=auction.id)).bid_sequence == 0
