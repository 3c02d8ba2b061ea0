"""The auction pages: who may open them, what they show on load, and the sign-in that takes traders too."""

from decimal import Decimal as D

import pytest

from auctions.services import bid_submit
from tests.two_factor import force_login_verified, login_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-1"  # tests.conftest make_user's default


def test_anonymous_visitors_and_unverified_officers_are_sent_to_sign_in(client, officer, new_auction):
    auction = new_auction()
    for path in ("/auctions/", f"/auctions/{auction.id}/"):
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith("/auctions/login/?next=")
    client.force_login(officer)  # a password without the one-time code counts as anonymous
    assert client.get(f"/auctions/{auction.id}/").status_code == 302


@pytest.mark.parametrize("role", ["trader", "officer", "administrator"])
def test_traders_officers_and_staff_watch_an_auction_from_the_index(request, client, role, new_auction, bidders):
    user = request.getfixturevalue(role)
    auction = new_auction()
    bid_submit(account_id=bidders[0].account.id, auction_id=auction.id, quantity=D("10"), price=D("151"))
    force_login_verified(client, user)
    index = client.get("/auctions/").content.decode()
    assert f'href="/auctions/{auction.id}/"' in index
    page = client.get(f"/auctions/{auction.id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<div class="value" id="indicative-price">151</div>' in html and auction.end_commitment in html
    assert bidders[0].account.id not in html and auction.end_salt not in html  # anonymous, and the end still secret
    assert page.context["can_bid"] is (role == "trader")


def test_the_seller_is_not_offered_the_bid_form(client, seller, new_auction):
    auction = new_auction()
    force_login_verified(client, seller)
    assert client.get(f"/auctions/{auction.id}/").context["can_bid"] is False


def test_an_unknown_auction_is_not_found(client, trader):
    client.force_login(trader)
    assert client.get("/auctions/auc_0000000000000000/").status_code == 404


def test_traders_sign_in_with_a_password_and_officers_with_their_code_too(client, trader, officer, new_auction):
    auction = new_auction()
    target = f"/auctions/{auction.id}/"
    response = client.post(f"/auctions/login/?next={target}", {"username": trader.username, "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.url == target
    assert client.get(target).status_code == 200
    client.logout()
    refused = client.post("/auctions/login/", {"username": officer.username, "password": PASSWORD})
    assert refused.status_code == 200 and refused.context["form"].errors
    code = login_code(officer)
    signed_in = client.post("/auctions/login/", {"username": officer.username, "password": PASSWORD, "otp_token": code, "next": target})
    assert signed_in.status_code == 302 and client.get(target).status_code == 200
