"""The demo: seed_demo schedules an auction once, simulate_market bids in it through the services."""

from io import StringIO

import pytest
from django.core.management import call_command

from auctions.models import Auction, Bid

pytestmark = pytest.mark.django_db


def test_seed_demo_schedules_one_demo_auction_and_simulate_market_bids_in_it(markets):
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    auction = Auction.objects.get()
    assert auction.status == "active" and auction.seller.user.username == "issuer"
    assert auction.seller.balances.get(currency="AAPL").reserved == auction.supply_quantity
    out = StringIO()
    call_command("simulate_market", "--symbols", "AAPL/USDC", "--rate", "1000", "--duration", "0.7", "--seed", "3", stdout=out)
    assert f" in {auction.id} -> bid_" in out.getvalue()
    bidders = set(Bid.objects.filter(auction=auction).values_list("account__user__username", flat=True))
    assert bidders and bidders <= {"alice", "bob"}
