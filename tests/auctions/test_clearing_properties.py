"""The clearing rule's invariants over random books, against a brute-force checker written from the contract.

The checker shares no code with auctions.clearing: it evaluates demand and supply directly at every price
(sums over all bids and tranches, in Fractions), picks p* among the contract's candidates by its three
criteria, and compares the volume with every price on the tick grid.
"""

import random
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auctions.clearing import MAX_LADDER_STEPS, BidIn, SupplySchedule, Tranche, clear, ladder_compile

# Quick enough for the suite (a few seconds); raise max_examples locally to search harder.
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TICKS = [Decimal("0.01"), Decimal("0.25"), Decimal("0.5"), Decimal("1")]
LOTS = [Decimal("0.001"), Decimal("0.1"), Decimal("1"), Decimal("10")]


@dataclass(frozen=True)
class Auction:
    bids: list[BidIn]
    ladder: list[Tranche]
    reserve_price: Decimal
    tick_size: Decimal
    lot_size: Decimal
    allocation: str


@st.composite
def auctions(draw) -> Auction:
    tick, lot = draw(st.sampled_from(TICKS)), draw(st.sampled_from(LOTS))
    top = draw(st.integers(1, 40))  # prices are 0..top ticks: few enough that bids meet at one price
    price = st.integers(0, top).map(lambda ticks: ticks * tick)
    lots = st.integers(1, 60).map(lambda n: n * lot)
    pairs = draw(st.lists(st.tuples(price, lots), max_size=25))
    arrivals = draw(st.lists(st.integers(0, 10_000), min_size=len(pairs), max_size=len(pairs), unique=True))
    bids = [BidIn(f"bid{n}", p, q, a) for n, ((p, q), a) in enumerate(zip(pairs, arrivals, strict=True))]
    ladder = [Tranche(p, q) for p, q in draw(st.lists(st.tuples(price, lots), min_size=1, max_size=5))]
    reserve = draw(st.integers(0, top // 2)) * tick
    return Auction(bids, ladder, reserve, tick, lot, draw(st.sampled_from(["pro_rata", "time_priority"])))


def demand(auction: Auction, price: Decimal) -> Fraction:
    return sum((Fraction(b.quantity) for b in auction.bids if b.price >= price), Fraction(0))


def supply(auction: Auction, price: Decimal) -> Fraction:
    return sum((Fraction(t.quantity) for t in auction.ladder if t.price <= price), Fraction(0))


def executed(auction: Auction, price: Decimal) -> Fraction:
    return min(demand(auction, price), supply(auction, price))


def expected_price(auction: Auction) -> Decimal | None:
    prices = {b.price for b in auction.bids} | {t.price for t in auction.ladder}
    candidates = [p for p in prices if p >= auction.reserve_price and executed(auction, p) > 0]
    if not candidates:
        return None
    return max(candidates, key=lambda p: (executed(auction, p), -abs(demand(auction, p) - supply(auction, p)), p))


def grid(auction: Auction) -> list[Decimal]:
    prices = [b.price for b in auction.bids] + [t.price for t in auction.ladder]
    prices = [p for p in prices if p >= auction.reserve_price]
    if not prices:
        return []
    steps = int((max(prices) - min(prices)) / auction.tick_size)
    return [min(prices) + i * auction.tick_size for i in range(steps + 1)]


def run(auction: Auction, bids=None, ladder=None):
    return clear(bids=auction.bids if bids is None else bids, ladder=auction.ladder if ladder is None else ladder,
                 reserve_price=auction.reserve_price, lot_size=auction.lot_size, allocation=auction.allocation)


@PROPERTY
@given(auctions())
def test_one_price_the_brute_force_price_with_the_most_volume_on_the_whole_grid(auction):
    result = run(auction)

    assert result.price == expected_price(auction)
    if result.price is None:
        assert result.volume == 0 and set(result.allocations.values()) <= {0}
        assert all(executed(auction, p) == 0 for p in grid(auction))
        return
    assert result.price >= auction.reserve_price
    assert result.volume == executed(auction, result.price)
    assert all(executed(auction, p) <= result.volume for p in grid(auction)), "some grid price executes more"
    assert (result.demand, result.supply) == (demand(auction, result.price), supply(auction, result.price))
    assert result.imbalance == result.demand - result.supply


@PROPERTY
@given(auctions())
def test_above_in_full_below_nothing_nobody_above_their_bid_supply_never_exceeded(auction):
    result = run(auction)

    assert set(result.allocations) == {b.bid_id for b in auction.bids}
    assert sum(result.allocations.values()) == result.volume
    for bid in auction.bids:
        got = result.allocations[bid.bid_id]
        assert 0 <= got <= bid.quantity
        assert got % auction.lot_size == 0, "whole lots"
        if result.price is None or bid.price < result.price:
            assert got == 0
        elif bid.price > result.price:
            assert got == bid.quantity
        if got:
            assert bid.price >= result.price, "a winner pays the clearing price, never above its bid"
    if result.price is not None:
        assert result.volume <= supply(auction, result.price)


@PROPERTY
@given(auctions())
def test_the_margin_shares_in_whole_lots_by_the_rule(auction):
    result = run(auction)
    if result.price is None:
        return
    marginal = sorted((b for b in auction.bids if b.price == result.price), key=lambda b: b.arrival)
    left = Fraction(result.volume) - sum(Fraction(b.quantity) for b in auction.bids if b.price > result.price)
    lot = Fraction(auction.lot_size)
    got = [Fraction(result.allocations[b.bid_id]) for b in marginal]
    assert sum(got) == left

    if auction.allocation == "time_priority":
        for bid, share in zip(marginal, got, strict=True):
            assert share == min(Fraction(bid.quantity), left)
            left -= share
        return
    asked = sum(Fraction(b.quantity) for b in marginal)
    exact = [left * Fraction(b.quantity) / asked for b in marginal]
    assert all(share % lot == 0 and abs(share - ideal) < lot for share, ideal in zip(got, exact, strict=True)), (
        "whole lots, less than one from the exact share (so an exact share is given as it is)"
    )
    raised = [share > ideal for share, ideal in zip(got, exact, strict=True) if ideal % lot]
    assert raised == sorted(raised, reverse=True), "the lots left go to the earliest of the bids rounded down"


@PROPERTY
@given(auctions(), st.randoms(use_true_random=False))
def test_the_input_order_does_not_matter_only_the_arrival_numbers(auction, rng: random.Random):
    bids, ladder = list(auction.bids), list(auction.ladder)
    rng.shuffle(bids)
    rng.shuffle(ladder)

    assert run(auction, bids, ladder) == run(auction)


@st.composite
def schedules(draw):
    tick, lot = draw(st.sampled_from(TICKS)), draw(st.sampled_from(LOTS))
    floor = draw(st.integers(0, 500))
    ceiling = floor + draw(st.integers(0, 2000))
    schedule = SupplySchedule(
        base_quantity=draw(st.integers(1, 100_000)) * lot,
        price_floor=floor * tick,
        price_ceiling=ceiling * tick,
        elasticity_type=draw(st.sampled_from(["linear", "exponential", "logarithmic"])),
        elasticity_factor=draw(st.decimals(0, 50, places=3)),
    )
    return schedule, draw(st.integers(0, 3000)) * tick, tick, lot


@PROPERTY
@given(schedules())
def test_a_compiled_ladder_sits_on_the_grids_between_its_bounds_and_offers_exactly_the_base(case):
    schedule, reserve, tick, lot = case

    ladder = ladder_compile(schedule=schedule, supply_quantity=None, reserve_price=reserve, tick_size=tick,
                            lot_size=lot)

    assert 1 <= len(ladder) <= MAX_LADDER_STEPS + 1
    assert sum(t.quantity for t in ladder) == schedule.base_quantity
    prices = [t.price for t in ladder]
    assert prices == sorted(set(prices)), "one tranche per price, ascending"
    assert prices[0] >= reserve and prices[0] >= schedule.price_floor
    assert prices[-1] <= max(schedule.price_ceiling, reserve)
    for tranche in ladder:
        assert tranche.quantity > 0 and tranche.quantity % lot == 0
        assert tranche.price % tick == 0
