"""The auctioneer's admin: scheduling through auction_create (its refusals on the form), the record with its
ladder, bids and result, and cancelling and closing through the services."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.contrib.admin.utils import quote
from django.utils import timezone

from auctions.models import Auction, AuctionStatus
from auctions.services import auction_close, bid_submit
from kernel.errors import ServiceError
from tests.auctions.conftest import AAPL, ISSUE_BOOK, balance, reserved_total
from tests.two_factor import force_login_verified
from trading.models import Trade

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/auctions/auction/"


def change_page(auction) -> str:
    return f"{CHANGELIST}{quote(auction.id)}/change/"


def bid(user, auction, quantity, price):
    placed, _ = bid_submit(account_id=user.account.id, auction_id=auction.id, quantity=D(quantity), price=D(price))
    return placed


@pytest.fixture
def auctioneer(client, administrator):
    force_login_verified(client, administrator)  # staff pages need the second factor
    return client


def schedule_form(seller, **changes) -> dict:
    form = {
        "market": AAPL, "seller": seller.account.id, "reserve_price": "150", "supply_quantity": "1000", "allocation": "pro_rata",
        "duration_ms": "600000", "max_bids_per_account": "10",
    }
    return {**form, **changes}


def test_scheduling_goes_through_the_service_and_reserves_the_supply(auctioneer, seller):
    response = auctioneer.post(f"{CHANGELIST}add/", schedule_form(seller))
    auction = Auction.objects.get()
    assert response.status_code == 302 and response.url == change_page(auction)
    assert f"Scheduled {auction.id}: 1000 AAPL/USDC, active." in auctioneer.get(response.url).content.decode()
    assert auction.status == AuctionStatus.ACTIVE and auction.end_commitment
    assert balance(seller, "AAPL") == (D("4000"), D("1000"))
    page = auctioneer.get(change_page(auction)).content.decode()
    assert "secret until the auction ends" in page and auction.end_salt not in page  # not even staff see the end early
    assert f'href="/auctions/{auction.id}/"' in page


def test_an_elastic_schedule_from_the_form_is_compiled_into_a_ladder(auctioneer, seller):
    schedule = {
        "schedule_base_quantity": "1000", "schedule_price_floor": "150", "schedule_price_ceiling": "160",
        "schedule_elasticity_type": "linear", "schedule_elasticity_factor": "1",
    }
    response = auctioneer.post(f"{CHANGELIST}add/", schedule_form(seller, supply_quantity="", **schedule))
    assert response.status_code == 302
    assert Auction.objects.get().ladder.count() > 1


def test_the_services_refusals_are_shown_on_the_form_and_nothing_is_created(auctioneer, seller):
    response = auctioneer.post(f"{CHANGELIST}add/", schedule_form(seller, reserve_price="150.001", duration_ms=""))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "tick size" in errors["reserve_price"][0] and "Give either closes_at or duration_ms." in errors["closes_at"]
    response = auctioneer.post(f"{CHANGELIST}add/", schedule_form(seller, supply_quantity="100000"))
    assert response.status_code == 200 and response.context["adminform"].form.errors["seller"]  # INSUFFICIENT_FUNDS
    assert not Auction.objects.exists() and balance(seller, "AAPL") == (D("5000"), D("0"))


def test_the_record_shows_ladder_bids_and_after_the_close_the_result_and_the_revealed_end(auctioneer, new_auction, bidders):
    auction = new_auction()
    placed = [bid(user, auction, quantity, price) for user, (quantity, price) in zip(bidders, ISSUE_BOOK, strict=False)]
    page = auctioneer.get(change_page(auction)).content.decode()
    assert all(p.id in page for p in placed) and "ladder (supply tranches" in page.lower()
    assert auctioneer.get("/admin/auctions/bid/").status_code == 200

    response = auctioneer.post(CHANGELIST, {"action": "close_auctions", "_selected_action": [auction.id]}, follow=True)
    assert "Closed 1 auction(s)." in response.content.decode()
    auction.refresh_from_db()
    assert auction.status == AuctionStatus.COMPLETED and auction.status_reason == "closed_by_staff"
    assert auction.clearing_price == D("152") and Trade.objects.count() == 4 and reserved_total() == 0
    page = auctioneer.get(change_page(auction)).content.decode()
    assert "<td>152</td><td>1200</td>" in page  # the demand curve: 1200 bid at 152 or above
    assert auction.end_salt in page and auction.end_commitment in page
    assert "0.60000000" in page  # fill ratio at the margin: 300 of the 500 bid at 152


def test_a_close_the_ledger_refuses_says_why_and_changes_nothing(auctioneer, new_auction, bidders, settings):
    auction = new_auction()
    bid(bidders[0], auction, "10", "150")
    settings.CDX_LEDGER_ADAPTER = "tests.auctions.test_lifecycle.UnavailableLedger"
    response = auctioneer.post(CHANGELIST, {"action": "close_auctions", "_selected_action": [auction.id]}, follow=True)
    assert "the ledger is down" in response.content.decode()
    auction.refresh_from_db()
    assert auction.status == AuctionStatus.ACTIVE and not Trade.objects.exists()
    assert reserved_total() == D("1000") + D("1501.5")  # the supply and the bid, still held


def test_cancel_and_close_refuse_what_is_over_and_say_so(auctioneer, new_auction):
    auction = new_auction()
    response = auctioneer.post(CHANGELIST, {"action": "cancel_auctions", "_selected_action": [auction.id]}, follow=True)
    assert "Cancelled 1 auction(s)." in response.content.decode()
    assert Auction.objects.get(pk=auction.id).status == AuctionStatus.CANCELLED and reserved_total() == 0
    response = auctioneer.post(CHANGELIST, {"action": "close_auctions", "_selected_action": [auction.id]}, follow=True)
    assert f"Refused: {auction.id}: The auction is cancelled." in response.content.decode()


def test_officers_see_auctions_but_neither_schedule_nor_act(client, officer, new_auction):
    auction = new_auction()
    force_login_verified(client, officer)
    assert client.get(change_page(auction)).status_code == 200
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    changelist = client.get(CHANGELIST)
    assert changelist.status_code == 200 and "close_auctions" not in changelist.content.decode()
    client.post(CHANGELIST, {"action": "cancel_auctions", "_selected_action": [auction.id]})
    assert Auction.objects.get(pk=auction.id).status == AuctionStatus.ACTIVE


def test_only_administrators_close_and_a_scheduled_auction_is_not_closed(officer, administrator, new_auction):
    auction = new_auction(opens_at=timezone.now() + timedelta(minutes=5))
    with pytest.raises(ServiceError) as refused:
        auction_close(auction_id=auction.id, closed_by=officer)
    assert refused.value.code == "PERMISSION_DENIED"
    with pytest.raises(ServiceError) as early:
        auction_close(auction_id=auction.id, closed_by=administrator)
    assert early.value.code == "AUCTION_NOT_STARTED" and Auction.objects.get(pk=auction.id).status == AuctionStatus.SCHEDULED
