"""The clearing rule on hand-checked books, for the minimal auctions/clearing.py of this branch (the clearing branch
brings its own tests and property tests; drop this file when its clearing.py replaces this one)."""

from decimal import Decimal as D

from auctions.clearing import BidIn, SupplySchedule, Tranche, clear, ladder_compile


def bids(*rows):
    return [BidIn(f"b{n}", D(price), D(quantity), n) for n, (quantity, price) in enumerate(rows, 1)]


def test_the_issue_regression_clears_at_152_with_the_margin_shared_pro_rata():
    book = bids(("400", "155"), ("300", "153.5"), ("300", "152"), ("200", "152"), ("500", "149"))
    result = clear(bids=book, ladder=[Tranche(D("150"), D("1000"))], reserve_price=D("150"), lot_size=D("1"))
    assert result.price == D("152")
    assert result.volume == D("1000")
    assert result.allocations == {"b1": D("400"), "b2": D("300"), "b3": D("180"), "b4": D("120"), "b5": D("0")}


def test_time_priority_fills_the_margin_in_arrival_order():
    book = bids(("400", "155"), ("300", "153.5"), ("300", "152"), ("200", "152"))
    result = clear(
        bids=book, ladder=[Tranche(D("150"), D("1000"))], reserve_price=D("150"), lot_size=D("1"), allocation="time_priority"
    )
    assert [result.allocations[f"b{n}"] for n in range(1, 5)] == [D("400"), D("300"), D("300"), D("0")]


def test_the_remainder_goes_one_lot_at_a_time_in_arrival_order():
    book = bids(("3", "10"), ("3", "10"), ("3", "10"))
    result = clear(bids=book, ladder=[Tranche(D("10"), D("7"))], reserve_price=D("10"), lot_size=D("1"))
    assert [result.allocations[f"b{n}"] for n in (1, 2, 3)] == [D("3"), D("2"), D("2")]


def test_excess_supply_clears_at_the_highest_price_that_keeps_the_volume():
    result = clear(bids=bids(("100", "155")), ladder=[Tranche(D("150"), D("1000"))], reserve_price=D("150"), lot_size=D("1"))
    assert (result.price, result.volume, result.allocations["b1"]) == (D("155"), D("100"), D("100"))


def test_no_bid_at_or_above_the_reserve_means_no_volume():
    result = clear(bids=bids(("100", "149")), ladder=[Tranche(D("150"), D("1000"))], reserve_price=D("150"), lot_size=D("1"))
    assert result.price is None and result.volume == 0 and result.allocations == {"b1": D("0")}


def test_an_elastic_schedule_compiles_to_a_ladder_on_the_grid():
    schedule = SupplySchedule(D("100"), D("10"), D("20"), "linear", D("1"))
    ladder = ladder_compile(schedule=schedule, supply_quantity=None, reserve_price=D("10"), tick_size=D("0.01"), lot_size=D("5"))
    assert ladder[0].price == D("10") and len(ladder) > 2
    assert all(t.quantity > 0 and t.quantity % 5 == 0 and t.price % D("0.01") == 0 for t in ladder)
    assert [t.price for t in ladder] == sorted({t.price for t in ladder})
    fixed = ladder_compile(schedule=None, supply_quantity=D("1000"), reserve_price=D("150"), tick_size=D("0.01"), lot_size=D("1"))
    assert fixed == [Tranche(D("150"), D("1000"))]
