"""The auction pages (included at /auctions/ by cantondex.urls): the list, one auction live, and a sign-in
for traders too (the admin's takes staff only). Everyone signed in may watch; traders may bid from the page."""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse_lazy

from accounts.selectors import account_for_user
from accounts.two_factor import TwoFactorLoginForm, two_factor_required
from kernel.errors import ServiceError
from kernel.json import plain
from streams.events import wire

from . import selectors, services
from .models import TERMINAL_STATUSES

LOGIN_URL = reverse_lazy("auction_login")


class AuctionLoginForm(TwoFactorLoginForm):
    """The admin's sign-in without its staff-only rule: traders with their password, officers and staff with
    their one-time code too (else their session would count as anonymous)."""

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)

    def clean_otp(self, user):
        if user is not None and two_factor_required(user):
            super().clean_otp(user)


class AuctionLoginView(LoginView):
    template_name = admin.site.login_template
    authentication_form = AuctionLoginForm

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **admin.site.each_context(self.request), "title": "Sign in to follow auctions"}


@login_required(login_url=LOGIN_URL)
def auction_index(request):
    auctions = selectors.auction_list()
    for auction in auctions:
        services.auction_step(auction_id=auction.id)
    rows = [
        {
            "id": auction.id,
            "symbol": auction.market_id,
            "status": auction.status,
            "supply": plain(auction.supply_quantity),
            "reserve": plain(auction.reserve_price),
            "closes_at": auction.closes_at,
            "clearing_price": None if auction.clearing_price is None else plain(auction.clearing_price),
        }
        for auction in selectors.auction_list()
    ]
    context = {**admin.site.each_context(request), "title": "Auctions", "auctions": rows}
    return render(request, "auctions/index.html", context)


@login_required(login_url=LOGIN_URL)
def auction_page(request, auction_id: str):
    try:
        services.auction_step(auction_id=auction_id)
        auction = selectors.auction_get(auction_id=auction_id)
    except ServiceError as error:
        raise Http404(error.message) from error
    account = account_for_user(user=request.user)
    context = {
        **admin.site.each_context(request),
        "title": f"Auction {auction.id}",
        "record": auction,  # the literal "auction" names the channel, written once (tests/streams)
        "state": wire(selectors.auction_state(auction))["payload"],
        "supply": plain(auction.supply_quantity),
        "ladder": [(plain(t.price), plain(t.quantity)) for t in auction.ladder.all()],
        "over": auction.status in TERMINAL_STATUSES,
        "can_bid": account is not None and account.id != auction.seller_id,
    }
    return render(request, "auctions/auction.html", context)


urlpatterns = [
    path("", auction_index, name="auction_index"),
    path("login/", AuctionLoginView.as_view(), name="auction_login"),
    path("<str:auction_id>/", auction_page, name="auction_page"),
]
