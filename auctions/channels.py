"""The auction channels: `auction`, `bids` and `settlement`, each subscribed with `auction_id`.

`bids` is the anonymous public stream of the auction (new_bid, bid_withdrawn); with `"own": true` it is
instead the caller's own stream for that auction (bid_accepted, bid_updated, bid_cancelled). Two
subscriptions, two streams, each with its own sequence: their event types do not overlap, so the `type`
says which sequence an event belongs to (and subscription_response echoes `own`).
"""

from typing import Any

from streams.events import Event
from streams.principals import Principal
from streams.protocol import ErrorCode, ProtocolError
from streams.publishing import stream_sequence
from streams.registry import Channel, Request, StreamRef, register

from .events import AUCTION, BIDS, SETTLEMENT, BidUpdated, NewBid, own_bids_key
from .models import Auction, Bid, BidStatus
from .selectors import auction_state

AUCTION_NOT_FOUND = "AUCTION_NOT_FOUND"  # the seed's code (ProtocolError writes any code as given)
PERMISSION_DENIED = "PERMISSION_DENIED"


def _auction_id(message: dict[str, Any]) -> str:
    value = message.get("auction_id")
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "'auction_id' is required", {"field": "auction_id"})
    return value


def _own(message: dict[str, Any]) -> bool:
    own = message.get("own", False)
    if not isinstance(own, bool):
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "'own' must be true or false", {"field": "own"})
    return own


def _auction_channel(name: str, noun: str, snapshot) -> Channel:
    def resolve(message: dict[str, Any], principal: Principal, unsubscribing: bool) -> Request:
        auction_id = _auction_id(message)
        if name == BIDS and _own(message):
            if principal.account_id is None:
                raise ProtocolError(
                    PERMISSION_DENIED, "Only traders have bids", {"channel": name, "reason": "no_account"}
                )
            return Request((StreamRef(name, own_bids_key(auction_id, principal.account_id)),), {"auction_id": auction_id, "own": True})
        return Request((StreamRef(name, auction_id),), {"auction_id": auction_id})

    def check_access(request: Request, principal: Principal) -> None:
        auction_id = request.echo["auction_id"]
        if not Auction.objects.filter(pk=auction_id).exists():
            raise ProtocolError(AUCTION_NOT_FOUND, "Auction does not exist", {"channel": name, "auction_id": auction_id})

    parameters: dict[str, Any] = {"auction_id": {"type": "string", "description": "The auction"}}
    if name == BIDS:
        parameters["own"] = {"type": "boolean", "default": False, "description": "The caller's own bids instead of the public stream"}
    return Channel(name=name, noun=noun, resolve=resolve, check_access=check_access, snapshot=snapshot, parameters=parameters)


def auction_snapshot(key: str) -> tuple[list[Event], int]:
    sequence = stream_sequence(channel=AUCTION, key=key)  # read before the state: later events apply on top
    return [auction_state(Auction.objects.select_related("market").get(pk=key))], sequence


def bids_snapshot(key: str) -> tuple[list[Event], int]:
    """The public stream: every standing bid as new_bid. The own stream: each of the caller's bids as bid_updated."""
    sequence = stream_sequence(channel=BIDS, key=key)
    auction_id, _, account_id = key.partition(":")
    bids = Bid.objects.select_related("auction").filter(auction_id=auction_id).order_by("arrival")
    if account_id:
        return [BidUpdated.of(bid) for bid in bids.filter(account_id=account_id)], sequence
    return [NewBid.of(bid) for bid in bids.filter(status=BidStatus.ACTIVE)], sequence


def settlement_snapshot(key: str) -> tuple[list[Event], int]:
    """Settlement events happen once, at the close: nothing to restate (GET /v1/auctions/{id}/result has it)."""
    return [], stream_sequence(channel=SETTLEMENT, key=key)


register(_auction_channel(AUCTION, "auction updates", auction_snapshot))
register(_auction_channel(BIDS, "bids", bids_snapshot))
register(_auction_channel(SETTLEMENT, "settlement updates", settlement_snapshot))
