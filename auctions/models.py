from decimal import Decimal

from django.conf import settings
from django.db import models

from accounts.models import Account
from kernel.ids import PublicIdField
from trading.models import Market, Order, Trade
from trading.money import MONEY

from .clearing import ALLOCATIONS


class AuctionStatus(models.TextChoices):
    SCHEDULED = "scheduled"
    ACTIVE = "active"  # bids accepted, raised and cancelled
    LOCKED = "locked"  # after the cancel cut-off: bids accepted and raised, never cancelled or lowered
    CLOSING = "closing"  # the closing window: as locked, until the committed random end
    COMPLETED = "completed"
    FAILED = "failed"  # no volume, or proceeds below the minimum: everything refunded
    CANCELLED = "cancelled"


OPEN_STATUSES = (AuctionStatus.SCHEDULED, AuctionStatus.ACTIVE, AuctionStatus.LOCKED, AuctionStatus.CLOSING)
BIDDING_STATUSES = (AuctionStatus.ACTIVE, AuctionStatus.LOCKED, AuctionStatus.CLOSING)
TERMINAL_STATUSES = (AuctionStatus.COMPLETED, AuctionStatus.FAILED, AuctionStatus.CANCELLED)


class Auction(models.Model):
    """A uniform-price auction of `supply` base units of a market, sold by one account for the quote currency."""

    id = PublicIdField(prefix="auc")
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="auctions")
    seller = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="auctions_selling")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=AuctionStatus.choices, default=AuctionStatus.SCHEDULED)
    allocation = models.CharField(max_length=16, choices=[(a, a) for a in ALLOCATIONS], default=ALLOCATIONS[0])
    reserve_price = models.DecimalField(**MONEY)
    tick_size = models.DecimalField(**MONEY, help_text="The market's, when the auction was created.")
    lot_size = models.DecimalField(**MONEY, help_text="The market's, when the auction was created.")
    supply_quantity = models.DecimalField(**MONEY, help_text="The whole ladder: reserved from the seller while open.")
    supply_schedule = models.JSONField(null=True, blank=True, help_text="The elastic schedule the ladder was compiled from.")
    min_bid_quantity = models.DecimalField(**MONEY)
    max_bids_per_account = models.PositiveIntegerField()
    max_quantity_per_account = models.DecimalField(**MONEY, null=True, blank=True)
    min_proceeds = models.DecimalField(**MONEY, null=True, blank=True, help_text="Below it the auction fails.")
    allow_list = models.JSONField(default=list, blank=True, help_text="Account ids allowed to bid; empty: everyone.")
    opens_at = models.DateTimeField()
    cancel_cutoff_at = models.DateTimeField(help_text="After it bids may only be raised.")
    closes_at = models.DateTimeField(help_text="The closing window starts; the auction ends at a random moment in it.")
    close_window_ms = models.PositiveBigIntegerField()
    # The random end, drawn when the auction opens: only its hash is published until the result.
    end_at = models.DateTimeField(null=True, blank=True)
    end_salt = models.CharField(max_length=64, blank=True)
    end_commitment = models.CharField(max_length=64, blank=True)
    bid_sequence = models.BigIntegerField(default=0, help_text="Last arrival number given to a bid.")
    update_published_at = models.DateTimeField(null=True, blank=True)
    update_pending = models.BooleanField(default=False, help_text="Bids arrived since the last auction_update.")
    clearing_price = models.DecimalField(**MONEY, null=True, blank=True)
    total_allocated = models.DecimalField(**MONEY, default=Decimal("0"))
    status_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "opens_at"], name="auction_status")]

    def __str__(self) -> str:
        return f"{self.id} {self.supply_quantity} {self.market_id} ({self.status})"


class SupplyTranche(models.Model):
    """One step of the published supply ladder: `quantity` more offered at any price >= `price`."""

    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, related_name="ladder")
    price = models.DecimalField(**MONEY)
    quantity = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["auction", "price"]
        constraints = [models.UniqueConstraint(fields=["auction", "price"], name="tranche_unique_price")]

    def __str__(self) -> str:
        return f"{self.quantity} from {self.price}"


class BidStatus(models.TextChoices):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    FILLED = "filled"
    PARTIALLY_FILLED = "partially_filled"
    LOST = "lost"  # below the clearing price, or nothing left at it
    REFUNDED = "refunded"  # the auction failed or was cancelled
    SETTLEMENT_FAILED = "settlement_failed"  # the ledger refused this allocation's DvP


class Bid(models.Model):
    id = PublicIdField(prefix="bid")
    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="bids")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="auction_bids")
    client_bid_id = models.CharField(max_length=64, blank=True, help_text="The bidder's own id for retries; empty: none.")
    price = models.DecimalField(**MONEY)
    quantity = models.DecimalField(**MONEY)
    arrival = models.BigIntegerField(help_text="Arrival order within the auction (a raise keeps it).")
    status = models.CharField(max_length=20, choices=BidStatus.choices, default=BidStatus.ACTIVE)
    reserved = models.DecimalField(**MONEY, default=Decimal("0"), help_text="Quote currency held: price x quantity + fee.")
    allocated_quantity = models.DecimalField(**MONEY, default=Decimal("0"))
    order = models.OneToOneField(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="auction_bid")
    trade = models.OneToOneField(Trade, null=True, blank=True, on_delete=models.PROTECT, related_name="auction_bid")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["auction", "arrival"]
        indexes = [models.Index(fields=["auction", "status", "price"], name="bid_book")]
        constraints = [
            models.UniqueConstraint(fields=["auction", "arrival"], name="bid_unique_arrival"),
            models.UniqueConstraint(
                fields=["account", "client_bid_id"], condition=~models.Q(client_bid_id=""), name="bid_unique_client_id"
            ),
            models.CheckConstraint(condition=models.Q(reserved__gte=0), name="bid_reserved_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.quantity} @ {self.price} ({self.status})"


class AuctionResult(models.Model):
    """What anyone needs to recompute the outcome: the anonymised book, the ladder, the price, the end's proof."""

    auction = models.OneToOneField(Auction, on_delete=models.CASCADE, primary_key=True, related_name="result")
    clearing_price = models.DecimalField(**MONEY, null=True, blank=True)
    volume = models.DecimalField(**MONEY)
    demand = models.DecimalField(**MONEY)
    supply = models.DecimalField(**MONEY)
    imbalance = models.DecimalField(**MONEY)
    proceeds = models.DecimalField(**MONEY, help_text="clearing price x volume, in the quote currency.")
    marginal_fill_ratio = models.DecimalField(
        max_digits=20, decimal_places=8, null=True, blank=True, help_text="Allocated / bid at the clearing price."
    )
    demand_curve = models.JSONField(help_text="[[price, quantity bid at that price or above], ...], highest price first.")
    book = models.JSONField(help_text="Every standing bid, anonymised: [[arrival, price, quantity, allocated], ...].")
    settlement_id = models.CharField(max_length=32, blank=True)
    settled_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"result of {self.auction_id}"
