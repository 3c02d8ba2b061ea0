"""The demo commands: seed_demo's users and book, simulate_market's real orders."""

from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from tests.support.event_log import published
from tests.trading.conftest import buyer, seller  # noqa: F401 (fixtures)
from trading.models import Order, Trade
from trading.services import order_place


def test_seed_demo_rests_a_book_once(markets):
    call_command("seed_demo", stdout=StringIO())
    resting = Order.objects.filter(status="open").count()
    assert resting == 20  # 5 bid and 5 ask levels on each of the two markets
    call_command("seed_demo", stdout=StringIO())
    assert Order.objects.filter(status="open").count() == resting
    assert not Order.objects.filter(status="filled").exists()


def test_on_the_demo_book_a_sell_and_a_buy_at_150_50_trade_with_each_other(buyer, seller):
    call_command("seed_demo", stdout=StringIO())
    sell = order_place(
        account_id=seller.account.id, symbol="AAPL/USDC", side="sell", order_type="limit", quantity=D("100"), price=D("150.50")
    )
    buy = order_place(
        account_id=buyer.account.id, symbol="AAPL/USDC", side="buy", order_type="limit", quantity=D("100"), price=D("150.50")
    )
    sell.refresh_from_db()
    assert sell.status == buy.status == "filled"
    trade = Trade.objects.get()
    assert (trade.sell_order_id, trade.buy_order_id, trade.price) == (sell.id, buy.id, D("150.50"))


def test_simulate_market_places_and_cancels_real_orders(markets):
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("simulate_market", "--symbols", "AAPL/USDC", "--rate", "1000", "--duration", "0.5", "--seed", "7", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("done: ")
    assert any(" limit " in line for line in lines) and any(line.startswith("cancel ") for line in lines)
    assert Order.objects.filter(market_id="AAPL/USDC").count() > 10
    assert not Order.objects.filter(market_id="GOOGL/USDC").exclude(status="open").exists()
    assert published("market_data", "AAPL/USDC", "price_update")


def test_simulate_market_refuses_unknown_symbols(markets):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unknown market"):
        call_command("simulate_market", "--symbols", "DOGE/USDC", "--duration", "0.1", stdout=StringIO())


def test_seed_demo_prints_single_use_codes_that_let_the_demo_officer_in(markets):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    codes_line = next(line for line in out.getvalue().splitlines() if "single-use codes:" in line)
    code = codes_line.split("single-use codes:")[1].split()[0]
    browser = Client()
    response = browser.post(
        "/admin/login/?next=/admin/", {"username": "officer", "password": "officer-demo-pass", "otp_token": code}
    )
    assert response.status_code == 302 and browser.get("/compliance/console/").status_code == 200
