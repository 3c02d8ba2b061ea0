"""Auctions from creation to their end, with the money through the trading core."""

import hashlib
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from auctions.events import own_bids_key
from auctions.models import Auction, AuctionStatus, Bid, BidStatus
from auctions.services import auction_cancel, auction_step, auctions_step_due, bid_cancel, bid_raise, bid_submit
from compliance.models import Alert, SurveillanceTask
from compliance.surveillance import surveillance_run_pending
from kernel.errors import ServiceError
from kernel.json import isoformat
from tests.auctions.conftest import AAPL, ISSUE_BOOK, balance, holdings, published, reserved_total, run_to_end
from trading.models import Market, Order, Settlement, Trade

pytestmark = pytest.mark.django_db


def bid(user, auction, quantity, price, **extra):
    placed, _ = bid_submit(account_id=user.account.id, auction_id=auction.id, quantity=D(quantity), price=D(price), **extra)
    return placed


def test_the_issue_example_settles_at_152_through_the_ledger(new_auction, seller, bidders):
    before = holdings()
    auction = new_auction()
    assert auction.status == AuctionStatus.ACTIVE
    assert balance(seller, "AAPL") == (D("4000"), D("1000"))  # the supply is held while the auction runs
    placed = [bid(u, auction, q, p) for u, (q, p) in zip(bidders[:4], ISSUE_BOOK, strict=True)]
    with pytest.raises(ServiceError) as low:
        bid(bidders[4], auction, "500", "149")
    assert low.value.code == "BID_TOO_LOW"
    assert balance(bidders[0], "USDC") == (D("1000000") - D("62062"), D("62062"))  # 400 x 155 + 0.1 % fee

    auction = run_to_end(auction)

    assert (auction.status, auction.clearing_price, auction.total_allocated) == (AuctionStatus.COMPLETED, D("152"), D("1000"))
    allocated = {b.id: b.allocated_quantity for b in Bid.objects.filter(auction=auction)}
    assert [allocated[b.id] for b in placed] == [D("400"), D("300"), D("180"), D("120")]
    # Nobody pays above the clearing price: 400 x 152 + fee, the rest of the 155 reservation released.
    assert balance(bidders[0], "USDC") == (D("1000000") - D("60800") - D("60.8"), D("0"))
    assert balance(bidders[0], "AAPL") == (D("400"), D("0"))
    assert balance(seller, "AAPL") == (D("4000"), D("0"))
    assert balance(seller, "USDC") == (D("1000") + D("152000") - D("152"), D("0"))
    assert Trade.objects.filter(market_id=AAPL, status="settled").count() == 4
    assert Settlement.objects.filter(status="confirmed", dvp_transaction_id__startswith="dvp_tx_").count() == 4
    assert Order.objects.filter(status="filled", status_reason="auction").count() == 5
    assert Market.objects.get(pk=AAPL).last_price == D("152")
    assert published("market_data", AAPL, "price_update")[-1]["last_price"] == D("152")
    assert holdings() == before and reserved_total() == 0
    complete = published("auction", auction.id, "auction_complete")[-1]["payload"]
    assert (complete["clearing_price"], complete["total_allocated"]) == (D("152"), D("1000"))
    assert auction.end_at is not None
    revealed = f"{auction.id}|{isoformat(auction.end_at)}|{complete['end_salt']}"
    assert hashlib.sha256(revealed.encode()).hexdigest() == complete["end_commitment"] == auction.end_commitment
    assert [e["type"] for e in published("settlement", auction.id)] == ["settlement_started", "settlement_progress", "settlement_complete"]


def test_phases_follow_the_clock_and_each_is_announced(new_auction, bidders):
    now = timezone.now()
    auction = new_auction(opens_at=now + timedelta(seconds=10), closes_at=now + timedelta(seconds=70), cancel_cutoff_at=now + timedelta(seconds=40))
    assert auction.status == AuctionStatus.SCHEDULED and auction.end_commitment == ""
    with pytest.raises(ServiceError) as early:
        bid(bidders[0], auction, "10", "150")
    assert early.value.code == "AUCTION_NOT_STARTED"
    statuses = []
    for seconds in (10, 40, 70):
        auction_step(auction_id=auction.id, now=now + timedelta(seconds=seconds))
        auction.refresh_from_db()
        statuses.append(auction.status)
    assert statuses == ["active", "locked", "closing"]
    assert auction.closes_at <= auction.end_at <= auction.closes_at + timedelta(milliseconds=auction.close_window_ms)
    updates = [e["payload"]["status"] for e in published("auction", auction.id, "auction_update")]
    assert updates == ["scheduled", "active", "locked", "closing"]
    auction_step(auction_id=auction.id, now=now + timedelta(seconds=70))  # nothing more is due: nothing happens
    assert len(published("auction", auction.id)) == 4


def test_after_the_cut_off_bids_may_only_be_raised(new_auction, bidders):
    auction = new_auction()
    placed = bid(bidders[0], auction, "10", "150")
    Auction.objects.filter(pk=auction.id).update(cancel_cutoff_at=timezone.now())
    with pytest.raises(ServiceError) as refused:
        bid_cancel(account_id=bidders[0].account.id, bid_id=placed.id)
    assert refused.value.code == "CANCEL_CUTOFF_PASSED"
    raised = bid_raise(account_id=bidders[0].account.id, bid_id=placed.id, price=D("151"))
    assert raised.price == D("151") and raised.reserved == D("1511.51")
    assert balance(bidders[0], "USDC")[1] == D("1511.51")  # the difference was reserved
    with pytest.raises(ServiceError) as lower:
        bid_raise(account_id=bidders[0].account.id, bid_id=placed.id, price=D("150.5"))
    assert lower.value.code == "BID_TOO_LOW"


def test_cancelling_releases_and_the_public_stream_stays_anonymous(new_auction, bidders):
    auction = new_auction()
    placed = bid(bidders[0], auction, "10", "150")
    cancelled = bid_cancel(account_id=bidders[0].account.id, bid_id=placed.id)
    assert cancelled.status == BidStatus.CANCELLED and balance(bidders[0], "USDC") == (D("1000000"), D("0"))
    public = published("bids", auction.id)
    assert [e["type"] for e in public] == ["new_bid", "bid_withdrawn"]
    assert all("account_id" not in e["payload"] and bidders[0].account.id not in str(e) for e in public)
    own = published("bids", own_bids_key(auction.id, bidders[0].account.id))
    assert [(e["type"], e["payload"]["account_id"]) for e in own] == [("bid_accepted", bidders[0].account.id), ("bid_cancelled", bidders[0].account.id)]


def test_no_volume_fails_and_refunds_everything(new_auction, seller, bidders):
    before = holdings()
    auction = new_auction(min_proceeds=D("1000000"))
    bid(bidders[0], auction, "10", "150")
    auction = run_to_end(auction)
    assert (auction.status, auction.status_reason) == (AuctionStatus.FAILED, "below_min_proceeds")
    assert Bid.objects.get(auction=auction).status == BidStatus.REFUNDED
    assert holdings() == before and reserved_total() == 0 and not Trade.objects.exists()
    empty = run_to_end(new_auction())
    assert (empty.status, empty.status_reason) == (AuctionStatus.FAILED, "no_volume")
    assert reserved_total() == 0


def test_staff_cancel_releases_every_reservation(new_auction, administrator, bidders):
    auction = new_auction()
    bid(bidders[0], auction, "10", "150")
    bid(bidders[1], auction, "20", "155")
    assert auction_cancel(auction_id=auction.id, cancelled_by=administrator).status == AuctionStatus.CANCELLED
    assert reserved_total() == 0
    with pytest.raises(ServiceError) as ended:
        bid(bidders[2], auction, "10", "150")
    assert ended.value.code == "AUCTION_ENDED"


def test_time_priority_fills_the_margin_by_arrival(new_auction, bidders):
    auction = new_auction(supply_quantity=D("100"), allocation="time_priority")
    first = bid(bidders[0], auction, "80", "150")
    second = bid(bidders[1], auction, "80", "150")
    auction = run_to_end(auction)
    first.refresh_from_db(), second.refresh_from_db()
    assert auction.clearing_price == D("150")
    assert (first.allocated_quantity, second.allocated_quantity) == (D("80"), D("20"))
    assert reserved_total() == 0


def test_an_elastic_schedule_is_published_as_a_ladder_and_reserved_whole(new_auction, seller):
    from auctions.clearing import SupplySchedule

    auction = new_auction(supply_schedule=SupplySchedule(D("100"), D("150"), D("160"), "linear", D("1")))
    ladder = list(auction.ladder.order_by("price"))
    assert len(ladder) > 2 and sum(t.quantity for t in ladder) == auction.supply_quantity
    assert all(t.price >= auction.reserve_price and t.price % auction.tick_size == 0 and t.quantity % auction.lot_size == 0 for t in ladder)
    assert balance(seller, "AAPL")[1] == auction.supply_quantity
    assert auction.supply_schedule["elasticity_type"] == "linear"


def test_bidding_rules_refuse_and_change_nothing(new_auction, seller, bidders):
    auction = new_auction(min_bid_quantity=D("5"), max_bids_per_account=2, max_quantity_per_account=D("50"), allow_list=[a.account.id for a in bidders[:3]])
    bid(bidders[0], auction, "20", "150")
    bid(bidders[0], auction, "10", "150")
    before = (holdings(), reserved_total(), Bid.objects.count(), len(published("bids", auction.id)))
    cases = [
        (bidders[1], "1", "150", "QUANTITY_TOO_SMALL"),
        (bidders[1], "60", "150", "ACCOUNT_CAP_EXCEEDED"),
        (bidders[3], "10", "150", "PERMISSION_DENIED"),
        (bidders[0], "10", "150", "TOO_MANY_BIDS"),
        (bidders[1], "10", "149.99", "BID_TOO_LOW"),
    ]
    for user, quantity, price, code in cases:
        with pytest.raises(ServiceError) as refused:
            bid(user, auction, quantity, price)
        assert refused.value.code == code
    Auction.objects.filter(pk=auction.id).update(max_quantity_per_account=None)
    with pytest.raises(ServiceError) as poor:
        bid(bidders[2], auction, "1000", "999.99")
    assert poor.value.code == "INSUFFICIENT_FUNDS"
    for quantity, price in (("10.5", "150"), ("10", "150.001"), ("0", "150"), ("-10", "150"), ("10", "1e13"), ("10", "150.000000001")):
        with pytest.raises(ValidationError):
            bid(bidders[1], auction, quantity, price)
    assert (holdings(), reserved_total(), Bid.objects.count(), len(published("bids", auction.id))) == before


def test_the_seller_cannot_bid_and_compliance_is_told(new_auction, seller):
    auction = new_auction()
    with pytest.raises(ServiceError) as refused:
        bid(seller, auction, "10", "150")
    assert (refused.value.code, refused.value.details["reason"]) == ("PERMISSION_DENIED", "seller_cannot_bid")
    alert = Alert.objects.get(account_id=seller.account.id)
    assert alert.alert_type == "wash_trading" and alert.facts["auction_id"] == auction.id
    assert not Bid.objects.exists()


def test_a_client_bid_id_retry_places_nothing(new_auction, bidders):
    auction = new_auction()
    first, created = bid_submit(account_id=bidders[0].account.id, auction_id=auction.id, quantity=D("10"), price=D("150"), client_bid_id="mine-1")
    again, created_again = bid_submit(account_id=bidders[0].account.id, auction_id=auction.id, quantity=D("10"), price=D("150"), client_bid_id="mine-1")
    assert (created, created_again, again.id) == (True, False, first.id)
    assert balance(bidders[0], "USDC")[1] == D("1501.5")


def test_auction_update_is_throttled_while_bids_arrive(new_auction, bidders, settings):
    settings.CDX_AUCTION_UPDATE_INTERVAL_S = 3600
    auction = new_auction()
    for user in bidders[:3]:
        bid(user, auction, "10", "150")
    assert len(published("auction", auction.id, "auction_update")) == 2  # creation and opening, none per bid
    assert Auction.objects.get(pk=auction.id).update_pending
    settings.CDX_AUCTION_UPDATE_INTERVAL_S = 0
    auctions_step_due()
    update = published("auction", auction.id, "auction_update")[-1]["payload"]
    assert (update["total_bids"], update["total_quantity"], update["current_price"]) == (3, D("30"), D("150"))
    assert not Auction.objects.get(pk=auction.id).update_pending


class UnavailableLedger:
    def settle_dvp(self, instruction):
        from trading.ledger import LedgerUnavailable

        raise LedgerUnavailable("the ledger is down")


def test_a_ledger_outage_leaves_the_auction_closing_until_it_settles(new_auction, bidders, settings):
    before = holdings()
    auction = new_auction()
    bid(bidders[0], auction, "10", "150")
    settings.CDX_LEDGER_ADAPTER = "tests.auctions.test_lifecycle.UnavailableLedger"
    later = auction.closes_at + timedelta(milliseconds=auction.close_window_ms, seconds=1)
    with pytest.raises(Exception, match="the ledger is down"):
        auction_step(auction_id=auction.id, now=later)
    auction.refresh_from_db()
    assert auction.status == AuctionStatus.CLOSING and not Trade.objects.exists()  # the whole close rolled back
    settings.CDX_LEDGER_ADAPTER = "trading.ledger.LocalLedger"
    auction_step(auction_id=auction.id, now=later)
    auction.refresh_from_db()
    assert auction.status == AuctionStatus.COMPLETED and Trade.objects.count() == 1
    assert holdings() == before and reserved_total() == 0


def test_the_lifecycle_job_closes_due_auctions(new_auction, bidders):
    from kernel import jobs

    auction = new_auction()
    bid(bidders[0], auction, "10", "150")
    Auction.objects.filter(pk=auction.id).update(
        cancel_cutoff_at=timezone.now(), closes_at=timezone.now(), end_at=timezone.now(), close_window_ms=0
    )
    jobs.run_due(force=True)
    auction.refresh_from_db()
    assert auction.status == AuctionStatus.COMPLETED and reserved_total() == 0


def test_large_allocations_raise_a_large_transaction_alert(new_auction, bidders, settings):
    auction = new_auction()
    SurveillanceTask.objects.all().delete()  # the checks the funding owes are not this test's (it is large too)
    settings.CDX_LARGE_TRANSACTION_THRESHOLD = D("10000")
    bid(bidders[0], auction, "100", "150")  # 15,000 USDC
    bid(bidders[1], auction, "10", "150")  # 1,500 USDC
    run_to_end(auction)
    surveillance_run_pending()  # the surveillance job works off the checks the close queued
    alerted = set(Alert.objects.filter(alert_type="large_transaction").values_list("account_id", flat=True))
    assert bidders[0].account.id in alerted and bidders[1].account.id not in alerted
