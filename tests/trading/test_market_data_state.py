"""market_data as state: a snapshot plus the events after it, applied in order, equals a fresh snapshot."""

from decimal import Decimal as D

import pytest
from asgiref.sync import sync_to_async

from streams.publishing import stream_sequence
from tests.streams.wire import next_reply
from trading.services import order_cancel, order_place

pytestmark = pytest.mark.django_db(transaction=True)

AAPL = "AAPL/USDC"


def book_state(events: list[dict]) -> dict:
    """A client's view of one symbol: levels by price per side, and the latest prices."""
    state: dict = {"bids": {}, "asks": {}, "prices": None}
    for event in events:
        if event["type"] == "orderbook_snapshot":
            for side in ("bids", "asks"):
                state[side] = {level["price"]: level["quantity"] for level in event[side]}
        elif event["type"] == "orderbook_update":
            for side, changes in event["changes"].items():
                for change in changes:
                    if change["action"] == "delete":
                        state[side].pop(change["price"], None)
                    else:
                        state[side][change["price"]] = change["quantity"]
        elif event["type"] == "price_update":
            state["prices"] = {name: event[name] for name in ("bid", "ask", "mid", "last_price")}
    return state


async def market_snapshot(authed, user) -> tuple:
    client = await authed(user)
    await client.send({"type": "subscribe", "channel": "market_data", "symbols": [AAPL]})
    assert (await next_reply(client))["status"] == "subscribed"
    snapshot = [await client.next() for _ in range(2)]
    assert {event["type"] for event in snapshot} == {"orderbook_snapshot", "price_update"}
    assert all(event["snapshot"] is True for event in snapshot)
    return client, snapshot


def place(user, side: str, quantity: str, price: str | None = None):
    return order_place(
        account_id=user.account.id,
        symbol=AAPL,
        side=side,
        order_type="limit" if price else "market",
        quantity=D(quantity),
        price=D(price) if price else None,
    )


async def test_a_snapshot_plus_the_events_after_it_is_a_fresh_snapshot(authed, buyer, seller, other_trader):
    act = sync_to_async
    await act(place)(seller, "sell", "10", "151")
    far_ask = await act(place)(seller, "sell", "5", "152")
    low_bid = await act(place)(buyer, "buy", "8", "149")
    await act(place)(buyer, "buy", "3", "149.5")
    client, events = await market_snapshot(authed, other_trader)

    await act(place)(seller, "sell", "4", "151")  # joins a level
    await act(place)(buyer, "buy", "12", "151")  # fills 12 of the 14 at 151
    await act(order_cancel)(order_id=low_bid.id, account_id=buyer.account.id)
    await act(place)(seller, "sell", "2")  # a market order takes the best bid
    await act(order_cancel)(order_id=far_ask.id, account_id=seller.account.id)
    await act(place)(buyer, "buy", "1", "150.25")  # a new best bid

    last = await act(stream_sequence)(channel="market_data", key=AAPL)
    while events[-1]["sequence"] < last:
        message = await client.next()
        if "sequence" in message:
            events.append(message)
    live = [event["sequence"] for event in events[2:]]
    assert live == list(range(events[0]["sequence"] + 1, last + 1)), "every change arrived, in order"

    _, fresh = await market_snapshot(authed, other_trader)
    assert fresh[0]["sequence"] == last
    replayed = book_state(events)
    assert replayed == book_state(fresh)
    assert replayed["asks"] == {D("151"): D("2")} and replayed["bids"] == {D("150.25"): D("1"), D("149.5"): D("1")}
    assert replayed["prices"]["last_price"] == D("149.5")
