"""Auction services: the one place auctions and bids change, and so the one place their events come from.

Money moves only through the trading core: a ChangeSet holds the seller's supply while the auction is open
and each bid's price x quantity plus fee; the close clears, pays, delivers, refunds, records trades and
settles them through the ledger (DvP) in one transaction, under the auction's row lock, so concurrent
closes settle once (auctions/closing.py). `auction_step` is the one lifecycle function: idempotent, run by
the job and before every request that touches an auction. The checks of terms and bids: auctions/checks.py.
"""

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User  # the project keeps Django's user model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from accounts.roles import ADMIN, user_roles
from compliance.models import AlertType, RuleKind, SurveillanceRule
from compliance.services import alert_raise
from kernel import jobs
from kernel.errors import ServiceError
from kernel.json import isoformat, plain
from kernel.numbers import decimal_text
from trading.changeset import ChangeSet
from trading.ledger import LedgerRejected, LedgerUnavailable
from trading.models import Market
from trading.money import commission, notional

from . import checks, closing
from .checks import MAX_AMOUNT
from .clearing import PRO_RATA, SupplySchedule, ladder_compile
from .events import BidAccepted, BidCancelled, BidUpdated, BidWithdrawn, NewBid, own_bids_key
from .metrics import BID_SUBMIT_SECONDS
from .models import BIDDING_STATUSES, OPEN_STATUSES, Auction, AuctionStatus, Bid, BidStatus, SupplyTranche
from .selectors import auction_state

log = logging.getLogger(__name__)

ZERO = Decimal("0")
DEFAULT_MAX_BIDS_PER_ACCOUNT = 10


# Creation and cancellation (staff)


@transaction.atomic
def auction_create(
    *,
    created_by: User,
    symbol: str,
    seller_account_id: str,
    reserve_price: Decimal,
    supply_quantity: Decimal | None = None,
    supply_schedule: SupplySchedule | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    duration_ms: int | None = None,
    cancel_cutoff_at: datetime | None = None,
    close_window_ms: int | None = None,
    allocation: str = PRO_RATA,
    min_bid_quantity: Decimal | None = None,
    max_bids_per_account: int = DEFAULT_MAX_BIDS_PER_ACCOUNT,
    max_quantity_per_account: Decimal | None = None,
    min_proceeds: Decimal | None = None,
    allow_list: list[str] | None = None,
) -> Auction:
    """Schedule an auction and reserve the seller's supply; it opens at `opens_at` (default now)."""
    if ADMIN not in user_roles(created_by):
        raise ServiceError("PERMISSION_DENIED", "Only administrators may create auctions.", status_code=403)
    market = Market.objects.filter(symbol=symbol, active=True).first()
    if market is None:
        raise ValidationError({"symbol": f"Unknown or inactive market {symbol!r}."})
    if not Account.objects.filter(pk=seller_account_id).exists():
        raise ServiceError("ACCOUNT_NOT_FOUND", "No such seller account.", details={"account_id": seller_account_id}, status_code=404)
    now = timezone.now()
    terms = checks.auction_terms(
        market=market,
        now=now,
        reserve_price=reserve_price,
        supply_quantity=supply_quantity,
        supply_schedule=supply_schedule,
        opens_at=opens_at or now,
        closes_at=closes_at,
        duration_ms=duration_ms,
        cancel_cutoff_at=cancel_cutoff_at,
        close_window_ms=close_window_ms,
        allocation=allocation,
        min_bid_quantity=min_bid_quantity,
        max_bids_per_account=max_bids_per_account,
        max_quantity_per_account=max_quantity_per_account,
        min_proceeds=min_proceeds,
        allow_list=allow_list or [],
    )
    ladder = ladder_compile(
        schedule=supply_schedule,
        supply_quantity=supply_quantity,
        reserve_price=reserve_price,
        tick_size=market.tick_size,
        lot_size=market.lot_size,
    )
    supply = sum((t.quantity for t in ladder), ZERO)
    if not 0 < supply < MAX_AMOUNT:
        raise ValidationError({"supply_schedule": f"The schedule must offer at least one lot and less than {decimal_text(MAX_AMOUNT)}."})
    auction = Auction.objects.create(
        market=market,
        seller_id=seller_account_id,
        created_by=created_by,
        allocation=allocation,
        reserve_price=reserve_price,
        tick_size=market.tick_size,
        lot_size=market.lot_size,
        supply_quantity=supply,
        supply_schedule=_schedule_json(supply_schedule),
        min_bid_quantity=terms.min_bid_quantity,
        max_bids_per_account=max_bids_per_account,
        max_quantity_per_account=max_quantity_per_account,
        min_proceeds=min_proceeds,
        allow_list=terms.allow_list,
        opens_at=terms.opens_at,
        cancel_cutoff_at=terms.cancel_cutoff_at,
        closes_at=terms.closes_at,
        close_window_ms=terms.close_window_ms,
        created_at=now,
    )
    SupplyTranche.objects.bulk_create(SupplyTranche(auction=auction, price=t.price, quantity=t.quantity) for t in ladder)
    changes = ChangeSet()
    changes.hold(seller_account_id, market.base, supply)  # INSUFFICIENT_FUNDS rolls the auction back
    _announce_state(auction, changes, now)
    _advance(auction, changes, now)
    changes.apply()
    auction.save()
    transaction.on_commit(jobs.wake)
    return auction


@transaction.atomic
def auction_cancel(*, auction_id: str, cancelled_by: User) -> Auction:
    """Staff: end an open auction without clearing; every reservation is released."""
    if ADMIN not in user_roles(cancelled_by):
        raise ServiceError("PERMISSION_DENIED", "Only administrators may cancel auctions.", status_code=403)
    auction = _auction_locked(auction_id)
    if auction.status not in OPEN_STATUSES:
        raise ServiceError(
            "AUCTION_ENDED", f"The auction is {auction.status}.", details={"auction_id": auction_id, "status": auction.status}
        )
    now = timezone.now()
    changes = ChangeSet()
    closing.end_without_sale(auction, changes, now, status=AuctionStatus.CANCELLED, reason="cancelled_by_staff")
    changes.apply()
    auction.save()
    return auction


@transaction.atomic
def auction_close(*, auction_id: str, closed_by: User) -> Auction:
    """Staff: end a bidding auction now, before its random end, clearing and settling the book as the end would.
    The committed end is still revealed (so bidders can check the commitment) and `status_reason` says
    `closed_by_staff`. A ledger that refuses or cannot be reached rolls the whole close back: the auction
    stays as it was and the error says why."""
    if ADMIN not in user_roles(closed_by):
        raise ServiceError("PERMISSION_DENIED", "Only administrators may close auctions.", status_code=403)
    auction = _auction_locked(auction_id)
    if auction.status not in BIDDING_STATUSES:  # a scheduled auction has no book: cancel it instead
        code = "AUCTION_NOT_STARTED" if auction.status == AuctionStatus.SCHEDULED else "AUCTION_ENDED"
        raise ServiceError(code, f"The auction is {auction.status}.", details={"auction_id": auction_id, "status": auction.status})
    now = timezone.now()
    changes = ChangeSet()
    auction.status_reason = "closed_by_staff"  # a failed close (no volume, below min_proceeds) says why instead
    try:
        closing.close(auction, changes, now)
    except LedgerUnavailable as error:
        raise ServiceError(
            "LEDGER_UNAVAILABLE", f"The ledger could not be reached ({error}); nothing was closed.", status_code=503
        ) from error
    except LedgerRejected as error:
        raise ServiceError(
            "SETTLEMENT_REJECTED", f"The ledger refused a settlement ({error.message}); nothing was closed.",
            details={"reason": error.reason}, status_code=409,
        ) from error
    changes.apply()
    auction.save()
    return auction


# Bids (traders)


@BID_SUBMIT_SECONDS.time()
def bid_submit(
    *, account_id: str, auction_id: str, price: Decimal, quantity: Decimal, client_bid_id: str | None = None
) -> tuple[Bid, bool]:
    """Accept a bid and reserve price x quantity plus fee; returns (bid, created). A retry with the same
    client_bid_id answers the original bid and places nothing."""
    auction_step(auction_id=auction_id)
    seller_id = Auction.objects.filter(pk=auction_id).values_list("seller_id", flat=True).first()
    if seller_id == account_id:
        _seller_bid_alert(auction_id=auction_id, account_id=account_id)
        raise ServiceError(
            "PERMISSION_DENIED",
            "The seller cannot bid in its own auction.",
            details={"auction_id": auction_id, "reason": "seller_cannot_bid"},
            status_code=403,
        )
    return _bid_place(account_id=account_id, auction_id=auction_id, price=price, quantity=quantity, client_bid_id=client_bid_id)


@transaction.atomic
def _bid_place(
    *, account_id: str, auction_id: str, price: Decimal, quantity: Decimal, client_bid_id: str | None
) -> tuple[Bid, bool]:
    auction = _auction_locked(auction_id)
    if client_bid_id is not None:
        checks.check_client_bid_id(client_bid_id)
        earlier = Bid.objects.filter(account_id=account_id, client_bid_id=client_bid_id).select_related("auction").first()
        if earlier is not None:
            if earlier.auction_id != auction_id:
                raise ServiceError(
                    "DUPLICATE_CLIENT_BID_ID",
                    "This client_bid_id names a bid in another auction.",
                    details={"client_bid_id": client_bid_id, "bid_id": earlier.id},
                    status_code=409,
                )
            return earlier, False
    now = timezone.now()
    checks.ensure_bidding(auction, now)
    if auction.allow_list and account_id not in auction.allow_list:
        raise ServiceError(
            "PERMISSION_DENIED",
            "This auction is open only to invited accounts.",
            details={"auction_id": auction_id, "reason": "not_on_allow_list"},
            status_code=403,
        )
    checks.check_bid(auction, price=price, quantity=quantity)
    standing = Bid.objects.filter(auction=auction, account_id=account_id, status=BidStatus.ACTIVE)
    if standing.count() >= auction.max_bids_per_account:
        raise ServiceError(
            "TOO_MANY_BIDS",
            f"At most {auction.max_bids_per_account} standing bids per account in this auction.",
            details={"limit": auction.max_bids_per_account},
        )
    checks.check_account_cap(auction, standing, extra=quantity)
    auction.bid_sequence += 1
    bid = Bid(
        auction=auction,
        account_id=account_id,
        client_bid_id=client_bid_id or "",
        price=price,
        quantity=quantity,
        arrival=auction.bid_sequence,
        reserved=_reservation(price, quantity),
        created_at=now,
        updated_at=now,
    )
    changes = ChangeSet()
    changes.hold(account_id, auction.market.quote, bid.reserved)
    bid.save()
    changes.emit(NewBid.of(bid), key=auction.id)
    changes.emit(BidAccepted.of(bid), key=own_bids_key(auction.id, account_id))
    _bids_changed(auction, changes, now)
    changes.apply()
    auction.save()
    return bid, True


@transaction.atomic
def bid_raise(*, account_id: str, bid_id: str, price: Decimal | None = None, quantity: Decimal | None = None) -> Bid:
    """Raise the price and/or the quantity of a standing bid; the extra reservation is held. A raise takes a
    new arrival number (as a larger order loses its time priority)."""
    auction_id = _auction_of_bid(bid_id, account_id)
    auction_step(auction_id=auction_id)
    auction = _auction_locked(auction_id)
    bid = Bid.objects.get(pk=bid_id)
    now = timezone.now()
    checks.ensure_bid_active(bid)
    checks.ensure_bidding(auction, now)
    price = bid.price if price is None else price
    quantity = bid.quantity if quantity is None else quantity
    checks.check_bid(auction, price=price, quantity=quantity)
    if price < bid.price or quantity < bid.quantity or (price, quantity) == (bid.price, bid.quantity):
        raise ServiceError(
            "BID_TOO_LOW",
            "A raise must increase the price or the quantity, and lower neither.",
            details={"bid_id": bid.id, "price": plain(bid.price), "quantity": plain(bid.quantity)},
        )
    others = Bid.objects.filter(auction=auction, account_id=account_id, status=BidStatus.ACTIVE).exclude(pk=bid.id)
    checks.check_account_cap(auction, others, extra=quantity)
    reservation = _reservation(price, quantity)
    changes = ChangeSet()
    changes.hold(account_id, auction.market.quote, reservation - bid.reserved)
    auction.bid_sequence += 1
    bid.price, bid.quantity, bid.reserved, bid.arrival, bid.updated_at = price, quantity, reservation, auction.bid_sequence, now
    bid.save()
    changes.emit(NewBid.of(bid), key=auction.id)
    changes.emit(BidUpdated.of(bid), key=own_bids_key(auction.id, account_id))
    _bids_changed(auction, changes, now)
    changes.apply()
    auction.save()
    return bid


@transaction.atomic
def bid_cancel(*, account_id: str, bid_id: str) -> Bid:
    """Withdraw a standing bid and release its reservation; only before the cancel cut-off."""
    auction_id = _auction_of_bid(bid_id, account_id)
    auction_step(auction_id=auction_id)
    auction = _auction_locked(auction_id)
    bid = Bid.objects.get(pk=bid_id)
    checks.ensure_bid_active(bid)
    if auction.status != AuctionStatus.ACTIVE:
        raise ServiceError(
            "CANCEL_CUTOFF_PASSED",
            f"The auction is {auction.status}: bids can no longer be cancelled, only raised.",
            details={"auction_id": auction.id, "status": auction.status, "cancel_cutoff_at": isoformat(auction.cancel_cutoff_at)},
            status_code=409,
        )
    now = timezone.now()
    changes = ChangeSet()
    changes.release(account_id, auction.market.quote, bid.reserved)
    bid.status, bid.reserved, bid.cancelled_at, bid.updated_at = BidStatus.CANCELLED, ZERO, now, now
    bid.save()
    changes.emit(BidWithdrawn(bid_id=bid.id, auction_id=auction.id), key=auction.id)
    changes.emit(BidCancelled.of(bid), key=own_bids_key(auction.id, account_id))
    _bids_changed(auction, changes, now)
    changes.apply()
    auction.save()
    return bid


# The lifecycle


def auction_step(*, auction_id: str, now: datetime | None = None) -> None:
    """Advance the auction through every phase whose time has come (nothing when none has): idempotent.

    A cheap read first, so requests pay for the lock only when a phase is due; then under the row lock
    the phases are read again, so two concurrent steps (or closes) do the work once. The phases commit
    before the close is tried: a close that fails (the ledger unavailable) leaves the auction closing.
    """
    now = now or timezone.now()
    row = Auction.objects.filter(pk=auction_id, status__in=OPEN_STATUSES).first()
    if row is None or _next_phase_due(row, now) is None:
        return
    with transaction.atomic():
        auction = _auction_locked(auction_id)
        changes = ChangeSet()
        _advance(auction, changes, now)
        changes.apply()
        auction.save()
    if _next_phase_due(auction, now) == "end":
        with transaction.atomic():
            auction = _auction_locked(auction_id)
            if _next_phase_due(auction, now) == "end":
                changes = ChangeSet()
                closing.close(auction, changes, now)
                changes.apply()
                auction.save()


def auctions_step_due() -> None:
    """The lifecycle job: advance every open auction that is due, then send the throttled auction_updates."""
    now = timezone.now()
    for auction in Auction.objects.filter(status__in=OPEN_STATUSES):
        if _next_phase_due(auction, now) is not None:
            try:
                auction_step(auction_id=auction.id, now=now)
            except Exception:  # one auction's failure (e.g. the ledger unavailable) must not stop the others
                log.exception("auction %s could not advance; retried at the next run", auction.id)
    interval = timedelta(seconds=settings.CDX_AUCTION_UPDATE_INTERVAL_S)
    for auction_id in Auction.objects.filter(update_pending=True, update_published_at__lte=now - interval).values_list("id", flat=True):
        auction_update_flush(auction_id=auction_id)


@transaction.atomic
def auction_update_flush(*, auction_id: str) -> None:
    """Send the auction_update that bids arriving within the last interval were waiting for."""
    auction = _auction_locked(auction_id)
    if auction.update_pending:
        changes = ChangeSet()
        _announce_state(auction, changes, timezone.now())
        changes.apply()
        auction.save()


def _next_phase_due(auction: Auction, now: datetime) -> str | None:
    if auction.status == AuctionStatus.SCHEDULED and now >= auction.opens_at:
        return AuctionStatus.ACTIVE
    if auction.status == AuctionStatus.ACTIVE and now >= auction.cancel_cutoff_at:
        return AuctionStatus.LOCKED
    if auction.status == AuctionStatus.LOCKED and now >= auction.closes_at:
        return AuctionStatus.CLOSING
    if auction.status == AuctionStatus.CLOSING and auction.end_at is not None and now >= auction.end_at:
        return "end"
    return None


def _advance(auction: Auction, changes: ChangeSet, now: datetime) -> None:
    """Every phase change that is due, up to closing (the close itself is auction_step's second transaction)."""
    while True:
        phase = _next_phase_due(auction, now)
        if phase is None or phase == "end":
            return
        if phase == AuctionStatus.ACTIVE:
            _commit_to_end(auction)
        auction.status = phase
        _announce_state(auction, changes, now)


def _commit_to_end(auction: Auction) -> None:
    """Draw the random end within the closing window and publish only its hash (revealed with the result)."""
    offset_ms = secrets.randbelow(auction.close_window_ms + 1)
    auction.end_at = auction.closes_at + timedelta(milliseconds=offset_ms)
    auction.end_salt = secrets.token_hex(16)
    auction.end_commitment = end_commitment(auction_id=auction.id, end_at=auction.end_at, salt=auction.end_salt)


def end_commitment(*, auction_id: str, end_at: datetime, salt: str) -> str:
    """sha256 of "auction_id|end_at (ISO 8601, ms, Z)|salt": recompute it from the revealed values."""
    return hashlib.sha256(f"{auction_id}|{isoformat(end_at)}|{salt}".encode()).hexdigest()


# auction_update: on every phase change, and at most once per interval while bids arrive


def _announce_state(auction: Auction, changes: ChangeSet, now: datetime) -> None:
    changes.emit(auction_state(auction), key=auction.id)
    auction.update_published_at, auction.update_pending = now, False


def _bids_changed(auction: Auction, changes: ChangeSet, now: datetime) -> None:
    interval = timedelta(seconds=settings.CDX_AUCTION_UPDATE_INTERVAL_S)
    if auction.update_published_at is None or now - auction.update_published_at >= interval:
        _announce_state(auction, changes, now)
    else:
        auction.update_pending = True  # the job sends it once the interval has passed


# Helpers


def _auction_locked(auction_id: str) -> Auction:
    auction = Auction.objects.select_for_update(of=("self",)).select_related("market").filter(pk=auction_id).first()
    if auction is None:
        raise ServiceError("AUCTION_NOT_FOUND", "No such auction.", details={"auction_id": auction_id}, status_code=404)
    return auction


def _auction_of_bid(bid_id: str, account_id: str) -> str:
    row = Bid.objects.filter(pk=bid_id).values("auction_id", "account_id").first()
    if row is None or row["account_id"] != account_id:
        raise ServiceError("BID_NOT_FOUND", "No such bid.", details={"bid_id": bid_id}, status_code=404)
    return row["auction_id"]


def _reservation(price: Decimal, quantity: Decimal) -> Decimal:
    gross = notional(quantity, price)
    return gross + commission(gross)


def _schedule_json(schedule: SupplySchedule | None) -> dict | None:
    if schedule is None:
        return None
    return {
        "base_quantity": str(plain(schedule.base_quantity)),
        "price_floor": str(plain(schedule.price_floor)),
        "price_ceiling": str(plain(schedule.price_ceiling)),
        "elasticity_type": schedule.elasticity_type,
        "elasticity_factor": str(plain(schedule.elasticity_factor)),
    }


def _seller_bid_alert(*, auction_id: str, account_id: str) -> None:
    """The seller tried to buy its own supply: refused, and compliance gets a wash-trading alert (through the
    self-trade rule, whose window deduplicates repeated attempts). Its own transaction: the refusal keeps it."""
    rule = SurveillanceRule.objects.filter(kind=RuleKind.SELF_TRADE_ATTEMPTS, enabled=True).order_by("code").first()
    if rule is None:
        return
    alert_raise(
        rule=rule,
        account_id=account_id,
        alert_type=AlertType.WASH_TRADING,
        description=f"Seller tried to bid in its own auction {auction_id}",
        facts={"auction_id": auction_id, "reason": "seller_bid_in_own_auction"},
    )
