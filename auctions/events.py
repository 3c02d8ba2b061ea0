"""The auction events and channels, each declared once, in the seed's envelope (`type`, `payload`).

Streams, every one keyed by auction id (a bidder's own stream by auction id and account):
- `auction`: auction_update (status, indicative price and volume, totals, countdown), auction_complete;
- `bids`: the public stream, anonymous: new_bid (a new or raised bid) and bid_withdrawn; subscribed with
  `"own": true`, the bidder's own stream: bid_accepted, bid_updated (raised, allocated, refunded), bid_cancelled.
  The two sets of types do not overlap, so a client tells the two sequences apart by `type`;
- `settlement`: settlement_started, settlement_progress, settlement_complete (once, at the close).
Only the services build these (through ChangeSet.emit), so each event has one place it comes from.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from streams.events import Event

from .clearing import Clearing
from .models import Auction, AuctionStatus, Bid

AUCTION = "auction"
BIDS = "bids"
SETTLEMENT = "settlement"


def own_bids_key(auction_id: str, account_id: str) -> str:
    return f"{auction_id}:{account_id}"


def latest_end(auction: Auction) -> datetime:
    return auction.closes_at + timedelta(milliseconds=auction.close_window_ms)


def time_remaining_ms(auction: Auction, now: datetime) -> int:
    """Until the auction opens (scheduled), until the closing window (active, locked), until the latest
    possible end (closing: it may end sooner, at its committed random moment); 0 once over."""
    target: datetime | None = {
        AuctionStatus.SCHEDULED.value: auction.opens_at,
        AuctionStatus.ACTIVE.value: auction.closes_at,
        AuctionStatus.LOCKED.value: auction.closes_at,
        AuctionStatus.CLOSING.value: latest_end(auction),
    }.get(auction.status)
    return 0 if target is None else max(0, int((target - now).total_seconds() * 1000))


class AuctionUpdate(Event, type="auction_update", channel=AUCTION, envelope="payload"):
    """The auction with its live figures: also the body of GET /v1/auctions/{id}."""

    auction_id: str
    symbol: str
    status: str
    current_price: Decimal | None  # the indicative clearing price of the live book; the clearing price once over
    indicative_volume: Decimal
    imbalance: Decimal
    total_bids: int
    total_quantity: Decimal
    time_remaining_ms: int
    supply_available: Decimal
    reserve_price: Decimal
    opens_at: datetime
    cancel_cutoff_at: datetime
    closes_at: datetime
    ends_at: datetime  # the latest possible end until the auction is over, then the revealed end
    end_commitment: str | None
    clearing_price: Decimal | None
    total_allocated: Decimal

    @classmethod
    def of(cls, auction: Auction, *, indicative: Clearing, total_bids: int, total_quantity: Decimal, now: datetime):
        finished = auction.status in (AuctionStatus.COMPLETED, AuctionStatus.FAILED)
        return cls(
            auction_id=auction.id,
            symbol=auction.market_id,
            status=auction.status,
            current_price=auction.clearing_price if finished else indicative.price,
            indicative_volume=auction.total_allocated if finished else indicative.volume,
            imbalance=indicative.imbalance,
            total_bids=total_bids,
            total_quantity=total_quantity,
            time_remaining_ms=time_remaining_ms(auction, now),
            supply_available=auction.supply_quantity - auction.total_allocated,
            reserve_price=auction.reserve_price,
            opens_at=auction.opens_at,
            cancel_cutoff_at=auction.cancel_cutoff_at,
            closes_at=auction.closes_at,
            ends_at=auction.end_at if finished and auction.end_at else latest_end(auction),
            end_commitment=auction.end_commitment or None,
            clearing_price=auction.clearing_price,
            total_allocated=auction.total_allocated,
        )


class AuctionComplete(Event, type="auction_complete", channel=AUCTION, envelope="payload"):
    """The end: completed, failed or cancelled. end_at and end_salt reveal the committed random end:
    sha256(auction_id|end_at|end_salt) is the end_commitment published when the auction opened."""

    auction_id: str
    status: str
    status_reason: str | None
    clearing_price: Decimal | None
    total_allocated: Decimal
    proceeds: Decimal
    end_at: datetime | None
    end_salt: str | None
    end_commitment: str | None

    @classmethod
    def of(cls, auction: Auction, *, proceeds: Decimal) -> "AuctionComplete":
        return cls(
            auction_id=auction.id,
            status=auction.status,
            status_reason=auction.status_reason or None,
            clearing_price=auction.clearing_price,
            total_allocated=auction.total_allocated,
            proceeds=proceeds,
            end_at=auction.end_at,
            end_salt=auction.end_salt or None,
            end_commitment=auction.end_commitment or None,
        )


class NewBid(Event, type="new_bid", channel=BIDS, envelope="payload", timestamp_in_envelope=True):
    """Anonymous: no account, no client id. A raise is a new_bid with the same bid_id."""

    bid_id: str
    auction_id: str
    quantity: Decimal
    price: Decimal
    is_phantom: bool

    @classmethod
    def of(cls, bid: Bid) -> "NewBid":
        return cls(
            bid_id=bid.id, auction_id=bid.auction_id, quantity=bid.quantity, price=bid.price, is_phantom=False, timestamp=bid.updated_at
        )


class BidWithdrawn(Event, type="bid_withdrawn", channel=BIDS, envelope="payload"):
    """Anonymous: a standing bid was cancelled."""

    bid_id: str
    auction_id: str


class BidAccepted(Event, type="bid_accepted", channel=BIDS, envelope="payload"):
    """A bid as its owner sees it (own stream). Also the payload of the WebSocket replies."""

    bid_id: str
    auction_id: str
    account_id: str
    client_bid_id: str | None
    status: str
    quantity: Decimal
    price: Decimal
    reserved: Decimal  # quote currency held: price x quantity + fee
    allocated_quantity: Decimal
    clearing_price: Decimal | None
    trade_id: str | None
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None

    @classmethod
    def of(cls, bid: Bid):
        return cls(
            bid_id=bid.id,
            auction_id=bid.auction_id,
            account_id=bid.account_id,
            client_bid_id=bid.client_bid_id or None,
            status=bid.status,
            quantity=bid.quantity,
            price=bid.price,
            reserved=bid.reserved,
            allocated_quantity=bid.allocated_quantity,
            clearing_price=bid.auction.clearing_price,
            trade_id=bid.trade_id,
            created_at=bid.created_at,
            updated_at=bid.updated_at,
            cancelled_at=bid.cancelled_at,
        )


class BidUpdated(BidAccepted, type="bid_updated", channel=BIDS, envelope="payload"):
    """Own stream: the bid was raised, allocated at the close (filled, partially_filled, lost) or refunded."""


class BidCancelled(BidAccepted, type="bid_cancelled", channel=BIDS, envelope="payload"):
    """Own stream: the bid was withdrawn and its reservation released."""


class SettlementStarted(Event, type="settlement_started", channel=SETTLEMENT, envelope="payload"):
    settlement_id: str
    auction_id: str
    participants_total: int  # the winning bids and the seller


class SettlementProgress(Event, type="settlement_progress", channel=SETTLEMENT, envelope="payload"):
    settlement_id: str
    auction_id: str
    phase: str
    participants_agreed: int
    participants_total: int
    estimated_completion: datetime


class SettlementComplete(Event, type="settlement_complete", channel=SETTLEMENT, envelope="payload"):
    settlement_id: str
    auction_id: str
    clearing_price: Decimal
    total_allocated: Decimal
    trades: int
    execution_path: str  # "dvp": every allocation settled delivery versus payment through the ledger
    dvp_transaction_ids: list[str]
