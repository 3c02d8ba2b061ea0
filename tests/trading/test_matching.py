from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from kernel.errors import ServiceError
from tests.event_shapes import assert_event_shape
from tests.support.event_log import published
from tests.trading.conftest import balance, fund
from trading.models import Order, Settlement, Trade
from trading.services import order_cancel, order_place

AAPL = "AAPL/USDC"


def place(user, side, quantity, price=None, order_type="limit", symbol=AAPL):
    return order_place(
        account_id=user.account.id,
        symbol=symbol,
        side=side,
        order_type=order_type,
        quantity=D(quantity),
        price=None if price is None else D(price),
    )


def test_full_fill_moves_the_book_and_holds_funds_for_settlement(buyer, seller):
    ask = place(seller, "sell", "100", "150.50")
    assert ask.status == "open" and balance(seller, "AAPL") == (D("900"), D("100"))
    bid = place(buyer, "buy", "100", "150.50")
    ask.refresh_from_db()
    assert bid.status == ask.status == "filled"
    trade = Trade.objects.get()
    assert (trade.quantity, trade.price, trade.gross_amount, trade.commission) == (
        D("100"), D("150.50"), D("15050"), D("15.05")
    )
    assert Settlement.objects.get().trade == trade
    # Nothing has moved yet: the trade's amounts stay held until settlement.
    assert balance(buyer, "USDC") == (D("984934.95"), D("15065.05"))
    assert balance(seller, "AAPL") == (D("900"), D("100"))
    buyer_events = [e["type"] for e in published("orders", buyer.account.id)]
    assert buyer_events == ["order_created", "order_filled"]
    seller_events = [e["type"] for e in published("orders", seller.account.id)]
    assert seller_events == ["order_created", "order_updated", "order_filled"]
    trade_event = published("trades", buyer.account.id)[0]
    assert trade_event["net_amount"] == D("15065.05") and trade_event["side"] == "buy"
    assert published("trades", seller.account.id)[0]["net_amount"] == D("15034.95")


def test_partial_fills_keep_price_time_priority(buyer, seller, make_user):
    second_seller = make_user()
    fund(second_seller, AAPL="100")
    first = place(seller, "sell", "30", "150.00")
    later_same_price = place(second_seller, "sell", "30", "150.00")
    better_price = place(seller, "sell", "10", "149.90")
    bid = place(buyer, "buy", "45", "150.00")
    for order in (first, later_same_price, better_price):
        order.refresh_from_db()
    assert bid.status == "filled" and bid.filled == D("45")
    assert better_price.status == "filled"
    assert first.status == "filled"  # earlier at 150.00: filled before the later order
    assert later_same_price.status == "partially_filled" and later_same_price.filled == D("5")
    assert [t.price for t in Trade.objects.order_by("executed_at")] == [D("149.90"), D("150.00"), D("150.00")]
    # average = (10 x 149.90 + 35 x 150.00) / 45, to 8 places
    assert bid.average_fill_price == D("149.97777778")
    updates = published("orders", second_seller.account.id, "order_updated")
    assert updates[-1]["status"] == "partially_filled" and updates[-1]["filled"] == D("5")
    # The buyer paid less than the limit on 10 of them: that part of the hold is released.
    cost = D("10") * D("149.90") + D("35") * D("150.00")
    fees = (D("1499.00") * D("0.001")).quantize(D("1e-8")) + (D("5250.00") * D("0.001")).quantize(D("1e-8"))
    assert balance(buyer, "USDC") == (D("1000000") - cost - fees, cost + fees)


def test_partially_filled_buy_rests_with_the_rest_of_its_hold(buyer, seller):
    place(seller, "sell", "40", "100.00")
    bid = place(buyer, "buy", "100", "100.00")
    assert bid.status == "partially_filled" and bid.remaining == D("60")
    # 40 x 100 + fee for the trade, 60 x 100 + fee for the resting part
    assert bid.reserved == D("6006")
    assert balance(buyer, "USDC")[1] == D("4004") + D("6006")


def test_cancel_releases_the_hold_and_announces_it(buyer):
    bid = place(buyer, "buy", "10", "100.00")
    assert balance(buyer, "USDC") == (D("1000000") - D("1001"), D("1001"))
    cancelled = order_cancel(order_id=bid.id, account_id=buyer.account.id)
    assert cancelled.status == "cancelled" and cancelled.status_reason == "user_requested"
    assert balance(buyer, "USDC") == (D("1000000"), D("0"))
    event = published("orders", buyer.account.id, "order_cancelled")[0]
    assert event["reason"] == "user_requested"
    book = published("market_data", AAPL, "orderbook_update")[-1]
    assert book["changes"]["bids"] == [{"price": D("100"), "quantity": D("0"), "action": "delete"}]
    with pytest.raises(ServiceError) as again:
        order_cancel(order_id=bid.id, account_id=buyer.account.id)
    assert again.value.code == "ORDER_NOT_OPEN" and again.value.status_code == 409


def test_cancel_someone_elses_order_is_not_found(buyer, seller):
    ask = place(seller, "sell", "1", "150.00")
    with pytest.raises(ServiceError) as refused:
        order_cancel(order_id=ask.id, account_id=buyer.account.id)
    assert refused.value.status_code == 404
    ask.refresh_from_db()
    assert ask.status == "open"


def test_market_order_sweeps_several_levels(buyer, seller):
    for price, quantity in (("150.00", "10"), ("150.10", "10"), ("150.20", "10")):
        place(seller, "sell", quantity, price)
    sweep = place(buyer, "buy", "25", order_type="market")
    assert sweep.status == "filled" and sweep.price is None
    assert [(t.price, t.quantity) for t in Trade.objects.order_by("price")] == [
        (D("150.00"), D("10")), (D("150.10"), D("10")), (D("150.20"), D("5"))
    ]
    gross = D("1500.00") + D("1501.00") + D("751.00")
    assert sweep.average_fill_price == (gross / 25).quantize(D("1e-8"))
    book = published("market_data", AAPL, "orderbook_update")[-1]
    assert book["changes"]["asks"] == [
        {"price": D("150"), "quantity": D("0"), "action": "delete"},
        {"price": D("150.1"), "quantity": D("0"), "action": "delete"},
        {"price": D("150.2"), "quantity": D("5"), "action": "update"},
    ]
    price_update = published("market_data", AAPL, "price_update")[-1]
    assert (price_update["bid"], price_update["ask"], price_update["last_price"]) == (None, D("150.2"), D("150.2"))


def test_market_order_without_enough_liquidity_fills_what_it_can(buyer, seller):
    place(seller, "sell", "10", "150.00")
    sweep = place(buyer, "buy", "25", order_type="market")
    assert sweep.status == "cancelled" and sweep.status_reason == "no_liquidity" and sweep.filled == D("10")
    assert balance(buyer, "USDC")[1] == D("1501.50")  # only the filled part, held for settlement


def test_market_order_on_an_empty_book_is_rejected(buyer):
    order = place(buyer, "buy", "5", order_type="market")
    assert order.status == "rejected" and order.status_reason == "no_liquidity"
    assert balance(buyer, "USDC") == (D("1000000"), D("0"))
    assert published("orders", buyer.account.id, "order_updated")[-1]["status"] == "rejected"


def test_insufficient_funds_is_refused_and_leaves_nothing_behind(make_user, seller, markets):
    poor = make_user()
    fund(poor, USDC="100")
    place(seller, "sell", "1", "150.00")
    before = published("orders", poor.account.id)
    with pytest.raises(ServiceError) as refused:
        place(poor, "buy", "1", "150.00")
    assert refused.value.code == "INSUFFICIENT_FUNDS" and refused.value.status_code == 400
    assert refused.value.details == {"currency": "USDC", "required": D("150.15"), "available": D("100")}
    assert not Order.objects.filter(account=poor.account).exists() and not Trade.objects.exists()
    assert published("orders", poor.account.id) == before
    assert balance(poor, "USDC") == (D("100"), D("0"))
    with pytest.raises(ServiceError) as error:
        place(seller, "sell", "10000", "150.00")  # sells hold the base currency
    assert error.value.code == "INSUFFICIENT_FUNDS"


def test_self_trade_cancels_the_resting_order_and_matches_past_it(seller, make_user):
    other = make_user()
    fund(other, AAPL="100")
    own_ask = place(seller, "sell", "5", "150.00")
    place(other, "sell", "5", "150.10")
    bid = place(seller, "buy", "5", "150.10")
    own_ask.refresh_from_db()
    assert own_ask.status == "cancelled" and own_ask.status_reason == "self_trade_prevented"
    trade = Trade.objects.get()
    assert trade.seller_id == other.account.id and trade.buyer_id == seller.account.id
    assert bid.status == "filled"
    reasons = [e["reason"] for e in published("orders", seller.account.id, "order_cancelled")]
    assert reasons == ["self_trade_prevented"]
    assert balance(seller, "AAPL") == (D("1000"), D("0"))


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"price": D("150.005")}, "price"),  # off the tick
        ({"quantity": D("1.5")}, "quantity"),  # off the lot
        ({"quantity": D("0")}, "quantity"),
        ({"quantity": D("-1")}, "quantity"),
        ({"quantity": D("1e12")}, "quantity"),
        ({"price": None}, "price"),
        ({"price": D("NaN")}, "price"),
        ({"side": "hold"}, "side"),
        ({"order_type": "stop"}, "order_type"),
        ({"order_type": "market"}, "price"),  # a market order with a price
        ({"symbol": "TSLA/USDC"}, "symbol"),
        ({"quantity": D("999999999999"), "price": D("999999999")}, "price"),  # notional too large
    ],
)
def test_invalid_orders_name_the_field(buyer, changes, field):
    request = {
        "account_id": buyer.account.id, "symbol": AAPL, "side": "buy", "order_type": "limit",
        "quantity": D("1"), "price": D("150.00"), **changes,
    }
    with pytest.raises(ValidationError) as refused:
        order_place(**request)
    assert field in refused.value.message_dict
    assert not Order.objects.exists()


def test_exact_decimals_with_fine_lots(buyer, seller):
    from trading.models import Market

    Market.objects.filter(pk=AAPL).update(lot_size=D("0.001"))
    place(seller, "sell", "0.333", "150.01")
    bid = place(buyer, "buy", "0.333", "150.01")
    trade = Trade.objects.get()
    assert trade.gross_amount == D("49.95333")  # 0.333 x 150.01 exactly
    assert trade.commission == D("0.04995333")  # 0.1 %, rounded down to 8 places
    event = published("trades", buyer.account.id)[0]
    assert str(event["gross_amount"]) == "49.95333" and str(event["net_amount"]) == "50.00328333"
    assert bid.average_fill_price == D("150.01")


def test_every_order_and_market_event_has_the_seed_shape(buyer, seller):
    ask = place(seller, "sell", "10", "150.00")
    place(buyer, "buy", "4", "150.00")
    order_cancel(order_id=ask.id, account_id=seller.account.id)
    seen = set()
    for channel, key in (("orders", seller.account.id), ("trades", buyer.account.id), ("market_data", AAPL)):
        for event in published(channel, key):
            assert_event_shape(event)
            seen.add(event["type"])
    for event in published("orders", buyer.account.id):
        assert_event_shape(event)
        seen.add(event["type"])
    assert seen >= {
        "order_created", "order_updated", "order_filled", "order_cancelled", "trade_executed",
        "orderbook_update", "price_update",
    }
