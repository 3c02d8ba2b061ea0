"""The auction events, in the seed's envelope: `type` and a `payload` (publish adds channel, sequence, timestamp).

Streams, all keyed by auction id (the bidder's own stream by auction id and account):
- `auction`: auction_update (status, indicative price, totals, countdown), auction_complete;
- `bids`: new_bid (anonymous: a new or raised bid) and bid_withdrawn (anonymous) for everyone; the bidder's
  own bid_accepted / bid_updated / bid_cancelled on its own stream, each with `account_id` at the top;
- `settlement`: settlement_started, settlement_progress, settlement_complete.
Only the services build these (through ChangeSet.emit), so each event has one place it comes from.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from kernel.json import isoformat, plain

from .clearing import Clearing
from .models import Auction, AuctionStatus, Bid

AUCTION = "auction"
BIDS = "bids"
SETTLEMENT = "settlement"


def own_bids_key(auction_id: str, account_id: str) -> str:
    return f"{auction_id}:{account_id}"


def _number(value: Decimal | None):
    return None if value is None else plain(value)


def _event(event_type: str, payload: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"type": event_type, **top, "payload": payload}


def time_remaining_ms(auction: Auction, now: datetime) -> int:
    """Until the auction opens (scheduled), until the closing window (active, locked), until the latest
    possible end (closing: it may end sooner, at its committed random moment); 0 once over."""
    target = {
        AuctionStatus.SCHEDULED: auction.opens_at,
        AuctionStatus.ACTIVE: auction.closes_at,
        AuctionStatus.LOCKED: auction.closes_at,
        AuctionStatus.CLOSING: latest_end(auction),
    }.get(auction.status)
    return 0 if target is None else max(0, int((target - now).total_seconds() * 1000))


def latest_end(auction: Auction) -> datetime:
    return auction.closes_at + timedelta(milliseconds=auction.close_window_ms)


def auction_state(auction: Auction, *, indicative: Clearing, total_bids: int, total_quantity: Decimal, now: datetime):
    """The auction as auction_update and GET /v1/auctions/{id} show it (one shape for both)."""
    finished = auction.status in (AuctionStatus.COMPLETED, AuctionStatus.FAILED)
    price = auction.clearing_price if finished else indicative.price
    return {
        "auction_id": auction.id,
        "symbol": auction.market_id,
        "status": auction.status,
        "current_price": _number(price),
        "indicative_volume": plain(auction.total_allocated if finished else indicative.volume),
        "imbalance": plain(indicative.imbalance),
        "total_bids": total_bids,
        "total_quantity": plain(total_quantity),
        "time_remaining_ms": time_remaining_ms(auction, now),
        "supply_available": plain(auction.supply_quantity - auction.total_allocated),
        "reserve_price": plain(auction.reserve_price),
        "opens_at": isoformat(auction.opens_at),
        "cancel_cutoff_at": isoformat(auction.cancel_cutoff_at),
        "closes_at": isoformat(auction.closes_at),
        "ends_at": isoformat(auction.end_at if finished else latest_end(auction)),
        "end_commitment": auction.end_commitment or None,
        "clearing_price": _number(auction.clearing_price),
        "total_allocated": plain(auction.total_allocated),
    }


def auction_update(state: dict[str, Any]) -> dict[str, Any]:
    return _event("auction_update", state)


def auction_complete(auction: Auction, *, proceeds: Decimal) -> dict[str, Any]:
    return _event(
        "auction_complete",
        {
            "auction_id": auction.id,
            "status": auction.status,
            "status_reason": auction.status_reason or None,
            "clearing_price": _number(auction.clearing_price),
            "total_allocated": plain(auction.total_allocated),
            "proceeds": plain(proceeds),
            "end_at": isoformat(auction.end_at) if auction.end_at else None,
            "end_salt": auction.end_salt or None,
            "end_commitment": auction.end_commitment or None,
        },
    )


def new_bid(bid: Bid) -> dict[str, Any]:
    """Anonymous: no account, no client id. A raise is a new_bid with the same bid_id."""
    return _event(
        "new_bid",
        {
            "bid_id": bid.id,
            "auction_id": bid.auction_id,
            "quantity": plain(bid.quantity),
            "price": plain(bid.price),
            "timestamp": isoformat(bid.updated_at),
            "is_phantom": False,
        },
    )


def bid_withdrawn(bid: Bid) -> dict[str, Any]:
    return _event("bid_withdrawn", {"bid_id": bid.id, "auction_id": bid.auction_id, "timestamp": isoformat(bid.updated_at)})


def bid_view(bid: Bid) -> dict[str, Any]:
    """A bid as its owner sees it: the own stream's payload, the WebSocket replies and the REST answer."""
    auction = bid.auction
    return {
        "bid_id": bid.id,
        "auction_id": bid.auction_id,
        "client_bid_id": bid.client_bid_id,
        "status": bid.status,
        "quantity": plain(bid.quantity),
        "price": plain(bid.price),
        "reserved": plain(bid.reserved),
        "allocated_quantity": plain(bid.allocated_quantity),
        "clearing_price": _number(auction.clearing_price),
        "trade_id": bid.trade_id,
        "timestamp": isoformat(bid.created_at),
        "updated_at": isoformat(bid.updated_at),
        "cancelled_at": isoformat(bid.cancelled_at) if bid.cancelled_at else None,
    }


def own_bid(event_type: str, bid: Bid) -> dict[str, Any]:
    """bid_accepted, bid_updated (raised, allocated, refunded) or bid_cancelled on the bidder's own stream."""
    return _event(event_type, bid_view(bid), account_id=bid.account_id)


def settlement_started(auction: Auction, settlement_id: str, participants: int) -> dict[str, Any]:
    return _event(
        "settlement_started",
        {"settlement_id": settlement_id, "auction_id": auction.id, "participants_total": participants},
    )


def settlement_progress(auction: Auction, settlement_id: str, agreed: int, participants: int, at: datetime):
    return _event(
        "settlement_progress",
        {
            "settlement_id": settlement_id,
            "auction_id": auction.id,
            "phase": "dvp",
            "participants_agreed": agreed,
            "participants_total": participants,
            "estimated_completion": isoformat(at),
        },
    )


def settlement_complete(auction: Auction, settlement_id: str, dvp_transaction_ids: list[str]) -> dict[str, Any]:
    return _event(
        "settlement_complete",
        {
            "settlement_id": settlement_id,
            "auction_id": auction.id,
            "clearing_price": _number(auction.clearing_price),
            "total_allocated": plain(auction.total_allocated),
            "trades": len(dvp_transaction_ids),
            "execution_path": "dvp",
            "dvp_transaction_ids": dvp_transaction_ids,
        },
    )
