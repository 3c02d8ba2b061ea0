from decimal import Decimal as D

import pytest

from auctions.models import Auction
from auctions.services import bid_submit
from tests.auctions.conftest import reserved_total
from tests.two_factor import force_login_verified

pytestmark = pytest.mark.django_db


def test_the_admin_shows_an_auction_with_its_bids_and_cancels_it_through_the_service(client, administrator, new_auction, bidders):
    auction = new_auction()
    placed, _ = bid_submit(account_id=bidders[0].account.id, auction_id=auction.id, quantity=D("10"), price=D("150"))
    force_login_verified(client, administrator)  # staff pages need the second factor
    page = client.get(f"/admin/auctions/auction/{auction.id}/change/")
    assert page.status_code == 200 and placed.id in page.content.decode()
    assert client.get("/admin/auctions/bid/").status_code == 200
    response = client.post("/admin/auctions/auction/", {"action": "cancel_auctions", "_selected_action": [auction.id]})
    assert response.status_code == 302
    assert Auction.objects.get(pk=auction.id).status == "cancelled" and reserved_total() == 0
