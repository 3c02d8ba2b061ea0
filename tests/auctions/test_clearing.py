"""The clearing rule on hand-made books: the seed system's regression, ties, the margin, bad input."""

import math
from decimal import Decimal as D

import pytest

from auctions.clearing import (
    MAX_LADDER_STEPS,
    BidIn,
    SupplySchedule,
    Tranche,
    clear,
    demand_curve,
    ladder_compile,
    marginal_fill_ratio,
)

LOT = D("1")


def book(*bids: tuple[str, str, int]) -> list[BidIn]:
    """Bids as (quantity, price, arrival), named by their position."""
    return [BidIn(bid_id=f"b{n}", price=D(price), quantity=D(quantity), arrival=arrival)
            for n, (quantity, price, arrival) in enumerate(bids, start=1)]


def fixed(quantity: str, reserve: str) -> list[Tranche]:
    return ladder_compile(schedule=None, supply_quantity=D(quantity), reserve_price=D(reserve),
                          tick_size=D("0.5"), lot_size=LOT)


SEED_REGRESSION = book(("400", "155", 1), ("300", "153.5", 2), ("300", "152", 3), ("200", "152", 4), ("500", "149", 5))


def test_the_seed_systems_book_clears_at_a_bid_price_with_the_margin_shared_pro_rata():
    # The seed's float bisection cleared this at 151.25 and gave the 200@152 bid nothing.
    result = clear(bids=SEED_REGRESSION, ladder=fixed("1000", "150"), reserve_price=D("150"), lot_size=LOT)

    assert result.price == D("152")
    assert result.volume == D("1000")
    assert (result.demand, result.supply, result.imbalance) == (D("1200"), D("1000"), D("200"))
    assert result.allocations == {"b1": D("400"), "b2": D("300"), "b3": D("180"), "b4": D("120"), "b5": D("0")}
    assert marginal_fill_ratio(bids=SEED_REGRESSION, clearing=result) == D("0.6")


def test_time_priority_fills_the_margin_in_arrival_order():
    result = clear(bids=SEED_REGRESSION, ladder=fixed("1000", "150"), reserve_price=D("150"), lot_size=LOT,
                   allocation="time_priority")

    assert result.price == D("152")
    assert [result.allocations[b] for b in ("b1", "b2", "b3", "b4", "b5")] == [D(400), D(300), D(300), D(0), D(0)]


def test_remainder_lots_go_one_at_a_time_in_arrival_order_not_input_order():
    bids = book(("4", "100", 30), ("4", "100", 10), ("4", "100", 20))  # 10 lots for 12 asked: 3.33 each

    result = clear(bids=bids, ladder=fixed("10", "100"), reserve_price=D("100"), lot_size=LOT)

    assert result.allocations == {"b1": D(3), "b2": D(4), "b3": D(3)}


def test_the_lots_left_go_only_to_bids_whose_share_was_rounded_down():
    # 8 lots for 16 asked: exact shares 0.5, 0.5, 0.5, 0.5 and 6; the big bid's 6 is exact and stays 6
    bids = book(("1", "7", 1), ("1", "7", 3), ("1", "7", 4), ("1", "7", 5), ("12", "7", 2))

    result = clear(bids=bids, ladder=fixed("8", "7"), reserve_price=D("7"), lot_size=LOT)

    assert result.allocations == {"b1": D(1), "b2": D(1), "b3": D(0), "b4": D(0), "b5": D(6)}


def test_pro_rata_shares_are_whole_lots_of_a_fractional_lot_size():
    bids = [BidIn("x", D("10"), D("0.7"), 1), BidIn("y", D("10"), D("0.3"), 2)]
    ladder = [Tranche(D("10"), D("0.5"))]

    result = clear(bids=bids, ladder=ladder, reserve_price=D("10"), lot_size=D("0.1"))

    # exact shares 0.35 and 0.15: floors 0.3 and 0.1, the one lot left goes to the earlier bid
    assert result.allocations == {"x": D("0.4"), "y": D("0.1")}
    assert result.volume == D("0.5")


def test_two_bidders_at_one_price_are_both_filled_and_a_non_binding_reserve_does_not_move_the_price():
    bids = book(("500", "152", 1), ("500", "152", 2))

    result = clear(bids=bids, ladder=fixed("1000", "150"), reserve_price=D("150"), lot_size=LOT)

    assert result.price == D("152"), "150 executes as much with as little imbalance; the higher price wins"
    assert result.allocations == {"b1": D(500), "b2": D(500)}
    assert result.imbalance == D(0)


def test_two_bidders_above_the_price_at_one_price_both_fill_in_full():
    bids = book(("400", "155", 1), ("400", "155", 2), ("300", "150", 3))

    result = clear(bids=bids, ladder=fixed("1000", "150"), reserve_price=D("150"), lot_size=LOT)

    assert result.price == D("150")
    assert result.allocations == {"b1": D(400), "b2": D(400), "b3": D(200)}


@pytest.mark.parametrize("allocation", ["pro_rata", "time_priority"])
def test_nothing_bid_at_or_above_the_reserve_clears_nothing(allocation):
    bids = book(("100", "149.5", 1), ("50", "120", 2))

    result = clear(bids=bids, ladder=fixed("1000", "150"), reserve_price=D("150"), lot_size=LOT,
                   allocation=allocation)

    assert result.price is None
    assert result.volume == 0
    assert result.allocations == {"b1": D(0), "b2": D(0)}
    assert (result.demand, result.supply, result.imbalance) == (D(0), D(1000), D(-1000))
    assert marginal_fill_ratio(bids=bids, clearing=result) is None


def test_an_empty_book_clears_nothing():
    result = clear(bids=[], ladder=fixed("10", "1"), reserve_price=D("1"), lot_size=LOT)

    assert (result.price, result.volume, result.allocations) == (None, D(0), {})


def test_no_supply_at_any_price_a_bid_reaches_clears_nothing():
    bids = book(("10", "151", 1))
    ladder = [Tranche(D("160"), D("10"))]

    result = clear(bids=bids, ladder=ladder, reserve_price=D("150"), lot_size=LOT)

    assert result.price is None
    assert result.allocations == {"b1": D(0)}


def test_a_ladder_price_without_a_bid_can_clear_when_it_balances_the_book():
    # At 150 demand 100 meets supply 100; at 160 the second tranche leaves 100 unsold for the same volume.
    bids = book(("100", "160", 1))
    ladder = [Tranche(D("150"), D("100")), Tranche(D("160"), D("100"))]

    result = clear(bids=bids, ladder=ladder, reserve_price=D("150"), lot_size=LOT)

    assert (result.price, result.volume, result.imbalance) == (D("150"), D("100"), D("0"))
    assert result.allocations == {"b1": D("100")}
    assert marginal_fill_ratio(bids=bids, clearing=result) is None, "no bid sits at the clearing price"


def test_supply_below_the_reserve_is_sold_at_the_reserve_at_the_earliest():
    bids = book(("100", "150", 1))
    ladder = [Tranche(D("100"), D("100"))]

    result = clear(bids=bids, ladder=ladder, reserve_price=D("150"), lot_size=LOT)

    assert (result.price, result.volume) == (D("150"), D("100"))


def test_the_demand_curve_sums_every_bid_at_or_above_each_price_from_the_top():
    assert demand_curve(bids=SEED_REGRESSION, reserve_price=D("150"), lot_size=LOT) == [
        (D("155"), D("400")), (D("153.5"), D("700")), (D("152"), D("1200")),
    ]


def test_a_fixed_supply_is_one_tranche_at_the_reserve():
    assert fixed("1000", "150") == [Tranche(D("150"), D("1000"))]


def test_a_linear_schedule_offers_its_share_at_the_floor_and_the_rest_evenly_up_to_the_ceiling():
    # g(t) = 1 + t with k = 1: half at the floor, then 100 * (1 + j/10) / 2 cumulative: 5 more per tick.
    schedule = SupplySchedule(base_quantity=D("100"), price_floor=D("10"), price_ceiling=D("20"),
                              elasticity_type="linear", elasticity_factor=D("1"))

    ladder = ladder_compile(schedule=schedule, supply_quantity=None, reserve_price=D("10"), tick_size=D("1"),
                            lot_size=LOT)

    assert ladder == [Tranche(D("10"), D("50"))] + [Tranche(D(price), D("5")) for price in range(11, 21)]


@pytest.mark.parametrize("elasticity_type", ["exponential", "logarithmic"])
def test_curved_schedules_follow_their_formula_to_within_a_lot(elasticity_type):
    shapes = {"exponential": lambda t: math.exp(2 * t), "logarithmic": lambda t: 1 + math.log(1 + 2 * t)}
    shape = shapes[elasticity_type]
    schedule = SupplySchedule(base_quantity=D("10000"), price_floor=D("0"), price_ceiling=D("50"),
                              elasticity_type=elasticity_type, elasticity_factor=D("2"))

    ladder = ladder_compile(schedule=schedule, supply_quantity=None, reserve_price=D("0"), tick_size=D("1"),
                            lot_size=LOT)

    cumulative = D(0)
    for tranche in ladder:
        cumulative += tranche.quantity
        expected = 10000 * shape(float(tranche.price) / 50) / shape(1)
        assert abs(float(cumulative) - expected) <= 1, tranche
    assert cumulative == D("10000")


def test_a_schedule_with_a_million_ticks_makes_a_bounded_ladder():
    schedule = SupplySchedule(base_quantity=D("1000000"), price_floor=D("0.01"), price_ceiling=D("10000"),
                              elasticity_type="linear", elasticity_factor=D("3"))

    ladder = ladder_compile(schedule=schedule, supply_quantity=None, reserve_price=D("0.01"),
                            tick_size=D("0.01"), lot_size=LOT)

    assert len(ladder) == MAX_LADDER_STEPS + 1
    assert ladder[-1].price == D("10000")
    assert sum(t.quantity for t in ladder) == D("1000000")


def test_schedule_quantity_below_the_reserve_is_offered_at_the_reserve():
    schedule = SupplySchedule(base_quantity=D("100"), price_floor=D("10"), price_ceiling=D("20"),
                              elasticity_type="linear", elasticity_factor=D("1"))

    ladder = ladder_compile(schedule=schedule, supply_quantity=None, reserve_price=D("15"), tick_size=D("1"),
                            lot_size=LOT)

    assert ladder[0] == Tranche(D("15"), D("75"))
    assert [t.price for t in ladder] == [D(p) for p in range(15, 21)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lot_size": D("0")}, "lot_size must be a positive"),
        ({"lot_size": D("-1")}, "lot_size must be a positive"),
        ({"bids": [BidIn("a", D("10"), D("1.5"), 1)]}, "not a whole number of lots"),
        ({"bids": [BidIn("a", D("10"), D("-1"), 1)]}, "quantity must be a positive"),
        ({"bids": [BidIn("a", D("10"), D("0"), 1)]}, "quantity must be a positive"),
        ({"bids": [BidIn("a", D("-10"), D("1"), 1)]}, "bid a: price must be a non-negative"),
        ({"bids": [BidIn("a", 10.5, D("1"), 1)]}, "bid a: price must be a non-negative finite Decimal"),  # type: ignore[arg-type]
        ({"bids": [BidIn("a", D("NaN"), D("1"), 1)]}, "bid a: price must be a non-negative finite Decimal"),
        ({"bids": [BidIn("a", D("10"), D("Infinity"), 1)]}, "quantity must be a positive finite"),
        ({"bids": [BidIn("a", D("10"), D("1"), 1), BidIn("a", D("11"), D("1"), 2)]}, "bid ids must be unique"),
        ({"bids": [BidIn("a", D("10"), D("1"), 1), BidIn("b", D("11"), D("1"), 1)]}, "arrivals must be unique"),
        ({"bids": [BidIn("a", D("10"), D("1"), "1")]}, "arrival must be an int"),  # type: ignore[arg-type]
        ({"ladder": [Tranche(D("10"), D("0.5"))]}, r"tranche .*: quantity 0.5 is not a whole number of lots of 1"),
        ({"ladder": [Tranche(D("-1"), D("1"))]}, r"tranche .*: price must be a non-negative"),
        ({"reserve_price": D("-1")}, "reserve_price must be a non-negative"),
        ({"allocation": "random"}, "allocation must be one of pro_rata, time_priority"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(change, message):
    arguments = {"bids": [BidIn("a", D("10"), D("1"), 1)], "ladder": [Tranche(D("10"), D("1"))],
                 "reserve_price": D("10"), "lot_size": LOT} | change

    with pytest.raises(ValueError, match=message):
        clear(**arguments)


GOOD_SCHEDULE = SupplySchedule(base_quantity=D("100"), price_floor=D("10"), price_ceiling=D("20"),
                               elasticity_type="linear", elasticity_factor=D("1"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"supply_quantity": D("100")}, "not both or neither"),
        ({"schedule": None}, "not both or neither"),
        ({"schedule": None, "supply_quantity": D("10.5")}, "supply_quantity 10.5 is not a whole number of lots"),
        ({"tick_size": D("0")}, "tick_size must be a positive"),
        ({"reserve_price": D("10.5")}, "reserve_price 10.5 is not on the tick grid"),
        ({"schedule": SupplySchedule(D("100"), D("10.5"), D("20"), "linear", D("1"))}, "price_floor 10.5 is not on"),
        ({"schedule": SupplySchedule(D("100"), D("20"), D("10"), "linear", D("1"))}, "is below price_floor"),
        ({"schedule": SupplySchedule(D("100.5"), D("10"), D("20"), "linear", D("1"))}, "base_quantity 100.5"),
        ({"schedule": SupplySchedule(D("100"), D("10"), D("20"), "cubic", D("1"))}, "elasticity_type must be"),
        ({"schedule": SupplySchedule(D("100"), D("10"), D("20"), "linear", D("-1"))}, "elasticity_factor must be"),
    ],
)
def test_bad_ladders_are_refused_with_a_clear_message(change, message):
    arguments = {"schedule": GOOD_SCHEDULE, "supply_quantity": None, "reserve_price": D("10"),
                 "tick_size": D("1"), "lot_size": LOT} | change

    with pytest.raises(ValueError, match=message):
        ladder_compile(**arguments)
