"""The demo: seed_demo schedules an auction once, simulate_market bids in it through the services."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from auctions.models import Auction, Bid
from demo.management.commands.seed_demo import DEMO_OFFICER
from tests.two_factor import force_login_verified

pytestmark = pytest.mark.django_db


def test_seed_demo_schedules_one_demo_auction_and_simulate_market_bids_in_it(markets):
    call_command("seed_demo", stdout=StringIO())
    seeded = StringIO()
    call_command("seed_demo", stdout=seeded)
    auction = Auction.objects.get()
    assert f"auction   {auction.id}: 500 AAPL/USDC from issuer, reserve 150, active" in seeded.getvalue()
    assert auction.status == "active" and auction.seller.user.username == "issuer"
    assert auction.seller.balances.get(currency="AAPL").reserved == auction.supply_quantity
    out = StringIO()
    call_command("simulate_market", "--symbols", "AAPL/USDC", "--rate", "1000", "--duration", "0.7", "--seed", "3", stdout=out)
    assert f" in {auction.id} -> bid_" in out.getvalue()
    bidders = set(Bid.objects.filter(auction=auction).values_list("account__user__username", flat=True))
    assert bidders and bidders <= {"alice", "bob"}


def test_the_demo_officer_finds_the_demo_auction_on_the_index_and_watches_it(client, markets):
    call_command("seed_demo", stdout=StringIO())
    call_command("simulate_market", "--symbols", "AAPL/USDC", "--rate", "1000", "--duration", "0.5", "--seed", "3", stdout=StringIO())
    auction = Auction.objects.get()
    force_login_verified(client, get_user_model().objects.get(username=DEMO_OFFICER))
    assert f'href="/auctions/{auction.id}/"' in client.get("/auctions/").content.decode()
    page = client.get(f"/auctions/{auction.id}/")
    assert page.status_code == 200 and page.context["state"]["total_bids"] == Bid.objects.filter(auction=auction, status="active").count()
