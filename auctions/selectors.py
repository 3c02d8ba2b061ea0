from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from kernel.errors import ServiceError

from . import events
from .clearing import BidIn, Clearing, Tranche, clear
from .models import Auction, AuctionResult, Bid, BidStatus


def auction_get(*, auction_id: str) -> Auction:
    auction = Auction.objects.select_related("market").filter(pk=auction_id).first()
    if auction is None:
        raise ServiceError("AUCTION_NOT_FOUND", "No such auction.", details={"auction_id": auction_id}, status_code=404)
    return auction


def auction_list(*, status: str | None = None, symbol: str | None = None, limit: int = 100) -> list[Auction]:
    auctions = Auction.objects.select_related("market")
    if status:
        auctions = auctions.filter(status=status)
    if symbol:
        auctions = auctions.filter(market_id=symbol)
    return list(auctions.order_by("-created_at")[:limit])


def ladder_of(auction: Auction) -> list[Tranche]:
    return [Tranche(t.price, t.quantity) for t in auction.ladder.all()]


def book_of(auction: Auction) -> list[BidIn]:
    """The standing bids, in arrival order, as the clearing function takes them."""
    rows = Bid.objects.filter(auction=auction, status=BidStatus.ACTIVE).order_by("arrival")
    return [BidIn(bid_id, price, quantity, arrival) for bid_id, price, quantity, arrival in rows.values_list("id", "price", "quantity", "arrival")]


def indicative_clearing(auction: Auction) -> Clearing:
    """The price the live book would clear at now: the same function as the final clearing."""
    return clear(
        bids=book_of(auction),
        ladder=ladder_of(auction),
        reserve_price=auction.reserve_price,
        lot_size=auction.lot_size,
        allocation=auction.allocation,
    )


@dataclass(frozen=True)
class BookTotals:
    bids: int
    quantity: Decimal


def book_totals(auction: Auction) -> BookTotals:
    row = Bid.objects.filter(auction=auction, status=BidStatus.ACTIVE).aggregate(n=Count("id"), q=Sum("quantity"))
    return BookTotals(row["n"], row["q"] or Decimal("0"))


def auction_state(auction: Auction) -> events.AuctionUpdate:
    """The auction with its live figures: auction_update, and the REST answers (its payload)."""
    totals = book_totals(auction)
    return events.AuctionUpdate.of(
        auction, indicative=indicative_clearing(auction), total_bids=totals.bids, total_quantity=totals.quantity, now=timezone.now()
    )


def bid_get(*, bid_id: str, account_id: str | None) -> Bid:
    """A bid; `account_id` restricts it to its owner (None: officers and staff see any). Another trader's
    bid is answered like an unknown one, so ids cannot be probed."""
    bid = Bid.objects.select_related("auction").filter(pk=bid_id).first()
    if bid is None or (account_id is not None and bid.account_id != account_id):
        raise ServiceError("BID_NOT_FOUND", "No such bid.", details={"bid_id": bid_id}, status_code=404)
    return bid


def bid_list(*, account_id: str, auction_id: str | None = None, limit: int = 100) -> list[Bid]:
    bids = Bid.objects.select_related("auction").filter(account_id=account_id)
    if auction_id:
        bids = bids.filter(auction_id=auction_id)
    return list(bids.order_by("-created_at")[:limit])


def result_get(*, auction_id: str) -> AuctionResult:
    auction = auction_get(auction_id=auction_id)
    result = AuctionResult.objects.filter(auction=auction).first()
    if result is None:
        raise ServiceError(
            "RESULT_NOT_AVAILABLE",
            f"The auction is {auction.status}: its result is published when it completes or fails.",
            details={"auction_id": auction_id, "status": auction.status},
            status_code=409,
        )
    return result
