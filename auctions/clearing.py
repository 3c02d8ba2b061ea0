"""Uniform-price clearing: one pure function of the book, exact decimals, no search, no floating point.

Candidate prices are the bid prices and the ladder's prices at or above the reserve. The clearing price
maximises the executed volume min(demand, supply), then minimises the imbalance |demand - supply|, then is
the highest such price. Bids above it fill in full, bids below get nothing, bids at it share what is left
pro rata in whole lots (the remainder one lot at a time in arrival order) or in arrival order
(`time_priority`). The live indicative price and the final result come from the same function.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal, localcontext
from itertools import accumulate

ZERO = Decimal("0")
PRO_RATA = "pro_rata"
TIME_PRIORITY = "time_priority"
ALLOCATIONS = (PRO_RATA, TIME_PRIORITY)
ELASTICITY_TYPES = ("linear", "exponential", "logarithmic")
LADDER_STEPS = 100  # an elastic schedule is published as at most this many tranches (plus its floor)
_EXACT = Context(prec=60)


@dataclass(frozen=True, slots=True)
class BidIn:
    bid_id: str
    price: Decimal
    quantity: Decimal
    arrival: int  # increasing per auction


@dataclass(frozen=True, slots=True)
class Tranche:
    price: Decimal
    quantity: Decimal  # supply offered at any price >= price


@dataclass(frozen=True, slots=True)
class SupplySchedule:
    """The seed's elastic supply: base_quantity at the floor, growing to the ceiling as the type says."""

    base_quantity: Decimal
    price_floor: Decimal
    price_ceiling: Decimal
    elasticity_type: str
    elasticity_factor: Decimal


@dataclass(frozen=True, slots=True)
class Clearing:
    price: Decimal | None  # None: no volume
    volume: Decimal
    demand: Decimal
    supply: Decimal
    imbalance: Decimal
    allocations: dict[str, Decimal]  # bid_id -> allocated quantity (0 for losers)


def clear(
    *, bids: Sequence[BidIn], ladder: Sequence[Tranche], reserve_price: Decimal, lot_size: Decimal, allocation: str = PRO_RATA
) -> Clearing:
    nothing = {bid.bid_id: ZERO for bid in bids}
    demand_at, supply_at = _curve(bids, ladder)
    best: tuple[Decimal, Decimal, Decimal] | None = None  # (volume, -imbalance, price)
    for price in sorted({b.price for b in bids} | {t.price for t in ladder}):
        if price >= reserve_price:
            demand, supply = demand_at(price), supply_at(price)
            key = (min(demand, supply), -abs(demand - supply), price)
            best = key if best is None or key > best else best
    if best is None or best[0] == 0:
        return Clearing(None, ZERO, ZERO, ZERO, ZERO, nothing)
    volume, negative_imbalance, price = best
    allocations = dict(nothing)
    above = [b for b in bids if b.price > price]
    for bid in above:
        allocations[bid.bid_id] = bid.quantity
    left = volume - sum((b.quantity for b in above), ZERO)
    marginal = sorted((b for b in bids if b.price == price), key=lambda b: b.arrival)
    allocations.update(_share(marginal, left, lot_size, allocation))
    return Clearing(price, volume, demand_at(price), supply_at(price), -negative_imbalance, allocations)


def _curve(bids: Sequence[BidIn], ladder: Sequence[Tranche]):
    """demand(p): quantity bid at p or above; supply(p): quantity offered at p or below (bisection on sorted sums)."""
    bid_prices = sorted(b.price for b in bids)
    by_price = sorted(bids, key=lambda b: b.price)
    from_top = list(accumulate(reversed([b.quantity for b in by_price]), initial=ZERO))[::-1]  # from_top[i]: bids i..end
    tranche_prices = sorted(t.price for t in ladder)
    up_to = list(accumulate((t.quantity for t in sorted(ladder, key=lambda t: t.price)), initial=ZERO))

    def demand(price: Decimal) -> Decimal:
        return from_top[bisect_left(bid_prices, price)]

    def supply(price: Decimal) -> Decimal:
        return up_to[bisect_right(tranche_prices, price)]

    return demand, supply


def _share(marginal: list[BidIn], left: Decimal, lot_size: Decimal, allocation: str) -> dict[str, Decimal]:
    """What each bid at the clearing price gets of `left` (a whole number of lots), in arrival order."""
    wanted = sum((b.quantity for b in marginal), ZERO)
    if wanted <= left:
        return {b.bid_id: b.quantity for b in marginal}
    shares: dict[str, Decimal] = {}
    if allocation == TIME_PRIORITY:
        for bid in marginal:
            shares[bid.bid_id] = min(bid.quantity, left)
            left -= shares[bid.bid_id]
        return shares
    with localcontext(_EXACT):
        for bid in marginal:
            lots = (bid.quantity * left / (wanted * lot_size)).to_integral_value(rounding=ROUND_FLOOR)
            shares[bid.bid_id] = lots * lot_size
        remainder = left - sum(shares.values(), ZERO)
    for bid in marginal:  # flooring loses less than one lot per bid: one pass hands the remainder out
        if remainder <= 0:
            break
        if shares[bid.bid_id] < bid.quantity:
            shares[bid.bid_id] += lot_size
            remainder -= lot_size
    return shares


def ladder_compile(
    *, schedule: SupplySchedule | None, supply_quantity: Decimal | None, reserve_price: Decimal, tick_size: Decimal, lot_size: Decimal
) -> list[Tranche]:
    """The supply ladder published with the auction: fixed supply is one tranche at the reserve; an elastic
    schedule becomes tranches on the tick grid whose cumulative quantity is the schedule's, rounded down to lots."""
    if schedule is None:
        return [Tranche(reserve_price, supply_quantity)]
    low = _on_grid(max(schedule.price_floor, reserve_price), tick_size, ROUND_CEILING)
    high = _on_grid(schedule.price_ceiling, tick_size, ROUND_FLOOR)
    ticks = int((high - low) / tick_size) if high > low else 0
    step_ticks = max(1, -(-ticks // LADDER_STEPS))
    prices = [low + tick_size * k for k in range(0, ticks + 1, step_ticks)]
    if prices[-1] != high and high > low:
        prices.append(high)
    ladder, offered = [], ZERO
    for price in prices:
        cumulative = _on_grid(_schedule_quantity(schedule, price), lot_size, ROUND_FLOOR)
        if cumulative > offered:
            ladder.append(Tranche(price, cumulative - offered))
            offered = cumulative
    return ladder


def _schedule_quantity(schedule: SupplySchedule, price: Decimal) -> Decimal:
    """Cumulative supply at `price`: base_quantity x f(t), t the position between floor and ceiling (0..1)."""
    with localcontext(Context(prec=34)):
        span = schedule.price_ceiling - schedule.price_floor
        t = min(Decimal(1), max(ZERO, (price - schedule.price_floor) / span)) if span > 0 else Decimal(1)
        factor = schedule.elasticity_factor
        growth = {
            "linear": lambda: 1 + factor * t,
            "exponential": lambda: (factor * t).exp(),
            "logarithmic": lambda: 1 + factor * (1 + t).ln(),
        }[schedule.elasticity_type]()
        return schedule.base_quantity * growth


def _on_grid(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    with localcontext(_EXACT):
        return (value / step).to_integral_value(rounding=rounding) * step
