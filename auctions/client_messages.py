"""The auction seed's client messages over the WebSocket: submit_bid and cancel_bid, answered directly.

    {"type": "submit_bid", "auction_id": "auc_...", "payload": {"quantity": 100, "price": 50, "is_marginal": false}}
    -> {"type": "bid_accepted", "channel": "bids", "payload": {bid...}, "correlation_id": ...}
     | {"type": "bid_rejected", "channel": "bids", "payload": {"auction_id", "code", "message", "details"}, ...}
    {"type": "cancel_bid", "bid_id": "bid_..."}
    -> {"type": "bid_cancelled", "channel": "bids", "payload": {bid...}, ...} | error (BID_NOT_FOUND, CANCEL_CUTOFF_PASSED, ...)

The same services as REST; a malformed message is an INVALID_REQUEST error naming the field. Direct replies
carry no sequence: they answer this connection, they are not events of a stream (the bidder's own stream
gets bid_accepted / bid_cancelled with their sequence as well).
"""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from kernel.errors import ServiceError
from streams.client_messages import Description, Reply, register
from streams.events import wire
from streams.principals import Principal
from streams.protocol import ErrorCode, ProtocolError
from trading.client_messages import trader_account_id

from . import services
from .events import BIDS, BidAccepted

PERMISSION_DENIED = "PERMISSION_DENIED"


def _string(message: dict[str, Any], name: str) -> str:
    value = message.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, f"'{name}' must be a non-empty string", {"field": name})
    return value


def _number(payload: dict[str, Any], name: str) -> Decimal:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise ProtocolError(ErrorCode.INVALID_REQUEST, f"'payload.{name}' must be a number", {"field": f"payload.{name}"})
    return Decimal(value)


def _account_id(principal: Principal) -> str:
    """The bidder's account: a trader, signed in with a password or an API key with the trade scope."""
    return trader_account_id(principal, code=PERMISSION_DENIED, may="bid")


def _bid_reply(reply_type: str, bid) -> Reply:
    return Reply(reply_type, {"channel": BIDS, "payload": wire(BidAccepted.of(bid))["payload"]})


def submit_bid(message: dict[str, Any], principal: Principal) -> Reply:
    auction_id = _string(message, "auction_id")
    payload = message.get("payload")
    if not isinstance(payload, dict):
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "'payload' must be an object", {"field": "payload"})
    quantity, price = _number(payload, "quantity"), _number(payload, "price")
    client_bid_id = payload.get("client_bid_id")
    account_id = _account_id(principal)
    try:
        bid, _ = services.bid_submit(
            account_id=account_id, auction_id=auction_id, quantity=quantity, price=price, client_bid_id=client_bid_id
        )
    except ServiceError as refused:
        return _rejected(auction_id, refused.code, refused.message, refused.details)
    except ValidationError as invalid:
        return _rejected(auction_id, "VALIDATION_ERROR", "Invalid bid.", {"errors": invalid.message_dict})
    return _bid_reply("bid_accepted", bid)


def _rejected(auction_id: str, code: str, message: str, details: dict) -> Reply:
    return Reply("bid_rejected", {"channel": BIDS, "payload": {"auction_id": auction_id, "code": code, "message": message, "details": details}})


def cancel_bid(message: dict[str, Any], principal: Principal) -> Reply:
    bid_id = _string(message, "bid_id")
    try:
        bid = services.bid_cancel(account_id=_account_id(principal), bid_id=bid_id)
    except ServiceError as refused:
        raise ProtocolError(refused.code, refused.message, refused.details) from None
    return _bid_reply("bid_cancelled", bid)


_NUMBER = {"type": "number"}

SUBMIT_BID = Description(
    summary="Place a bid in an auction (the trade scope for API keys)",
    fields={
        "auction_id": {"type": "string"},
        "payload": {
            "type": "object",
            "properties": {"quantity": _NUMBER, "price": _NUMBER, "is_marginal": {"type": "boolean"}, "client_bid_id": {"type": "string"}},
            "required": ["quantity", "price"],
        },
    },
    required=("auction_id", "payload"),
    replies=("bid_accepted", "bid_rejected"),
)
CANCEL_BID = Description(
    summary="Cancel one's own bid (before the auction's cancel cut-off)",
    fields={"bid_id": {"type": "string"}},
    required=("bid_id",),
    replies=("bid_cancelled",),
)


def register_all() -> None:
    register("submit_bid", submit_bid, SUBMIT_BID)
    register("cancel_bid", cancel_bid, CANCEL_BID)
