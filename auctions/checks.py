"""The checks of auction terms and bids: each refusal says what is wrong, before anything changes."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError

from kernel.errors import ServiceError
from kernel.json import isoformat, plain
from trading.models import Market
from trading.money import QUANTUM, is_multiple, notional

from .clearing import ELASTICITY_TYPES, SupplySchedule
from .models import BIDDING_STATUSES, Auction, AuctionStatus, Bid, BidStatus

ZERO = Decimal("0")
MAX_AMOUNT = Decimal("1e12")  # as trading: quantities and prices below 10^12 each
MAX_NOTIONAL = Decimal("1e18")
MAX_DURATION = timedelta(days=30)
MAX_DURATION_MS = int(MAX_DURATION.total_seconds() * 1000)


def ensure_bidding(auction: Auction, now: datetime) -> None:
    if auction.status == AuctionStatus.SCHEDULED:
        raise ServiceError(
            "AUCTION_NOT_STARTED",
            f"The auction opens at {isoformat(auction.opens_at)}.",
            details={"auction_id": auction.id, "opens_at": isoformat(auction.opens_at)},
        )
    if auction.status not in BIDDING_STATUSES or (auction.end_at is not None and now >= auction.end_at):
        raise ServiceError(
            "AUCTION_ENDED", f"The auction is {auction.status}.", details={"auction_id": auction.id, "status": auction.status}
        )


def ensure_bid_active(bid: Bid) -> None:
    if bid.status != BidStatus.ACTIVE:
        raise ServiceError(
            "BID_NOT_ACTIVE", f"The bid is {bid.status}.", details={"bid_id": bid.id, "status": bid.status}, status_code=409
        )


def check_bid(auction: Auction, *, price, quantity) -> None:
    errors: dict[str, str] = {}
    check_amount(errors, "price", price, auction.tick_size, "tick size")
    check_amount(errors, "quantity", quantity, auction.lot_size, "lot size")
    if not errors and notional(quantity, price) >= MAX_NOTIONAL:
        errors["price"] = f"quantity x price must be below {MAX_NOTIONAL:f}."
    if errors:
        raise ValidationError(errors)
    if price < auction.reserve_price:
        raise ServiceError(
            "BID_TOO_LOW",
            f"The price is below the reserve price {plain(auction.reserve_price)}.",
            details={"price": plain(price), "reserve_price": plain(auction.reserve_price)},
        )
    if quantity < auction.min_bid_quantity:
        raise ServiceError(
            "QUANTITY_TOO_SMALL",
            f"The minimum bid quantity is {plain(auction.min_bid_quantity)}.",
            details={"quantity": plain(quantity), "min_bid_quantity": plain(auction.min_bid_quantity)},
        )


def check_account_cap(auction: Auction, standing, *, extra: Decimal) -> None:
    if auction.max_quantity_per_account is None:
        return
    total = sum(standing.values_list("quantity", flat=True), ZERO) + extra
    if total > auction.max_quantity_per_account:
        raise ServiceError(
            "ACCOUNT_CAP_EXCEEDED",
            f"At most {plain(auction.max_quantity_per_account)} in standing bids per account.",
            details={"limit": plain(auction.max_quantity_per_account), "requested": plain(total)},
        )


def check_amount(errors: dict[str, str], field: str, value, step: Decimal, step_name: str) -> None:
    """A positive exact decimal below 10^12, at most 8 places, a multiple of `step`."""
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        errors[field] = "Must be a decimal number."
    elif value <= 0:
        errors[field] = "Must be greater than zero."
    elif value >= MAX_AMOUNT:
        errors[field] = f"Must be below {MAX_AMOUNT:f}."
    elif value != value.quantize(QUANTUM):
        errors[field] = "At most 8 decimal places."
    elif not is_multiple(value, step):
        errors[field] = f"Must be a multiple of the {step_name} {step.normalize()}."


def check_schedule(errors: dict[str, str], schedule: SupplySchedule, market: Market) -> None:
    check_amount(errors, "supply_schedule.base_quantity", schedule.base_quantity, market.lot_size, "lot size")
    check_amount(errors, "supply_schedule.price_floor", schedule.price_floor, market.tick_size, "tick size")
    check_amount(errors, "supply_schedule.price_ceiling", schedule.price_ceiling, market.tick_size, "tick size")
    if not errors and schedule.price_ceiling <= schedule.price_floor:
        errors["supply_schedule.price_ceiling"] = "Must be above price_floor."
    if schedule.elasticity_type not in ELASTICITY_TYPES:
        errors["supply_schedule.elasticity_type"] = f"Must be one of {', '.join(ELASTICITY_TYPES)}."
    factor = schedule.elasticity_factor
    if not isinstance(factor, Decimal) or not factor.is_finite() or not ZERO <= factor <= 10:
        errors["supply_schedule.elasticity_factor"] = "Must be a number from 0 to 10."


def check_client_bid_id(client_bid_id) -> None:
    if not isinstance(client_bid_id, str) or not 1 <= len(client_bid_id) <= 64 or not all(
        c.isascii() and (c.isalnum() or c in "_-") for c in client_bid_id
    ):
        raise ValidationError({"client_bid_id": "1 to 64 of A-Z, a-z, 0-9, _ and -."})
