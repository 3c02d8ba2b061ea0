"""The checks of auction terms and bids: each refusal says what is wrong, before anything changes."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError

from accounts.models import Account
from kernel.errors import ServiceError
from kernel.json import isoformat, plain
from kernel.numbers import decimal_text
from trading.models import Market
from trading.money import QUANTUM, is_multiple, notional

from .clearing import ALLOCATIONS, ELASTICITY_TYPES, SupplySchedule
from .models import BIDDING_STATUSES, Auction, AuctionStatus, Bid, BidStatus

ZERO = Decimal("0")
MAX_AMOUNT = Decimal("1e12")  # as trading: quantities and prices below 10^12 each
MAX_NOTIONAL = Decimal("1e18")
MAX_DURATION = timedelta(days=30)
MAX_DURATION_MS = int(MAX_DURATION.total_seconds() * 1000)


@dataclass(frozen=True)
class Terms:
    """An auction's timing and limits once checked, defaults filled in."""

    opens_at: datetime
    cancel_cutoff_at: datetime
    closes_at: datetime
    close_window_ms: int
    min_bid_quantity: Decimal
    allow_list: list[str]


def auction_terms(
    *,
    market: Market,
    now: datetime,
    reserve_price: Decimal,
    supply_quantity: Decimal | None,
    supply_schedule: SupplySchedule | None,
    opens_at: datetime,
    closes_at: datetime | None,
    duration_ms: int | None,
    cancel_cutoff_at: datetime | None,
    close_window_ms: int | None,
    allocation: str,
    min_bid_quantity: Decimal | None,
    max_bids_per_account: int,
    max_quantity_per_account: Decimal | None,
    min_proceeds: Decimal | None,
    allow_list: list[str],
) -> Terms:
    """Every term of a new auction checked at once (one VALIDATION_ERROR naming each bad field), with the
    defaults: cancel cut-off at 80 % of the way to closes_at, closing window a tenth of the duration,
    minimum bid one lot."""
    errors: dict[str, str] = {}
    check_amount(errors, "reserve_price", reserve_price, market.tick_size, "tick size")
    if (supply_quantity is None) == (supply_schedule is None):
        errors["supply_quantity"] = "Give either supply_quantity or supply_schedule."
    elif supply_schedule is not None:
        check_schedule(errors, supply_schedule, market)
    else:
        check_amount(errors, "supply_quantity", supply_quantity, market.lot_size, "lot size")
    if (closes_at is None and duration_ms is None) or (closes_at is not None and duration_ms is not None):
        errors["closes_at"] = "Give either closes_at or duration_ms."
    elif duration_ms is not None:
        if isinstance(duration_ms, int) and 0 < duration_ms <= MAX_DURATION_MS:
            closes_at = opens_at + timedelta(milliseconds=duration_ms)
        else:
            errors["duration_ms"] = f"Must be a whole number of milliseconds from 1 to {MAX_DURATION_MS}."
    if closes_at is not None and not opens_at < closes_at <= opens_at + MAX_DURATION:
        errors["closes_at"] = f"Must be after opens_at and at most {MAX_DURATION.days} days after it."
    if closes_at is not None and closes_at <= now:
        errors["closes_at"] = "Must be in the future."
    if closes_at is not None and "closes_at" not in errors:
        cancel_cutoff_at = cancel_cutoff_at or opens_at + (closes_at - opens_at) * 4 / 5
        if not opens_at <= cancel_cutoff_at <= closes_at:
            errors["cancel_cutoff_at"] = "Must be between opens_at and closes_at."
        if close_window_ms is None:
            close_window_ms = int((closes_at - opens_at).total_seconds() * 100)  # a tenth of the duration
    if close_window_ms is not None and (not isinstance(close_window_ms, int) or not 0 <= close_window_ms <= MAX_DURATION_MS):
        errors["close_window_ms"] = f"Must be a whole number of milliseconds from 0 to {MAX_DURATION_MS}."
    if allocation not in ALLOCATIONS:
        errors["allocation"] = f"Must be one of {', '.join(ALLOCATIONS)}."
    min_bid_quantity = market.lot_size if min_bid_quantity is None else min_bid_quantity
    check_amount(errors, "min_bid_quantity", min_bid_quantity, market.lot_size, "lot size")
    if max_quantity_per_account is not None:
        check_amount(errors, "max_quantity_per_account", max_quantity_per_account, market.lot_size, "lot size")
    if min_proceeds is not None:
        check_amount(errors, "min_proceeds", min_proceeds, QUANTUM, "8 decimal places")
    if not isinstance(max_bids_per_account, int) or not 1 <= max_bids_per_account <= 1000:
        errors["max_bids_per_account"] = "Must be an integer from 1 to 1000."
    allow_list = list(dict.fromkeys(allow_list))
    unknown = set(allow_list) - set(Account.objects.filter(pk__in=allow_list).values_list("id", flat=True))
    if unknown:
        errors["allow_list"] = f"Unknown accounts: {', '.join(sorted(unknown))}."
    if errors:
        raise ValidationError(errors)
    # With no error, every time is known: closes_at given or derived, the cut-off and the window defaulted.
    assert closes_at is not None and cancel_cutoff_at is not None and close_window_ms is not None
    return Terms(opens_at, cancel_cutoff_at, closes_at, close_window_ms, min_bid_quantity, allow_list)


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
        errors["price"] = f"quantity x price must be below {decimal_text(MAX_NOTIONAL)}."
    if errors:
        raise ValidationError(errors)
    if price < auction.reserve_price:
        raise ServiceError(
            "BID_TOO_LOW",
            f"The price is below the reserve price {decimal_text(auction.reserve_price)}.",
            details={"price": plain(price), "reserve_price": plain(auction.reserve_price)},
        )
    if quantity < auction.min_bid_quantity:
        raise ServiceError(
            "QUANTITY_TOO_SMALL",
            f"The minimum bid quantity is {decimal_text(auction.min_bid_quantity)}.",
            details={"quantity": plain(quantity), "min_bid_quantity": plain(auction.min_bid_quantity)},
        )


def check_account_cap(auction: Auction, standing, *, extra: Decimal) -> None:
    if auction.max_quantity_per_account is None:
        return
    total = sum(standing.values_list("quantity", flat=True), ZERO) + extra
    if total > auction.max_quantity_per_account:
        raise ServiceError(
            "ACCOUNT_CAP_EXCEEDED",
            f"At most {decimal_text(auction.max_quantity_per_account)} in standing bids per account.",
            details={"limit": plain(auction.max_quantity_per_account), "requested": plain(total)},
        )


def check_amount(errors: dict[str, str], field: str, value, step: Decimal, step_name: str) -> None:
    """A positive exact decimal below 10^12, at most 8 places, a multiple of `step`."""
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        errors[field] = "Must be a decimal number."
    elif value <= 0:
        errors[field] = "Must be greater than zero."
    elif value >= MAX_AMOUNT:
        errors[field] = f"Must be below {decimal_text(MAX_AMOUNT)}."
    elif value != value.quantize(QUANTUM):
        errors[field] = "At most 8 decimal places."
    elif not is_multiple(value, step):
        errors[field] = f"Must be a multiple of the {step_name} {decimal_text(step)}."


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
