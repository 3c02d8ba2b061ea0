"""Uniform-price clearing, the rule of the contract's Auctions section, in exact decimals.

Pure functions, no database: the auctions services call `clear` on the live book for the indicative price
and once more at the close, and `ladder_compile` once when an auction is created. Callers validate their
input first; the ValueErrors here are the last line, not the API's error messages.

Quantities are counted in whole lots (Python ints) inside, so sums never round however large the book is;
prices are only compared, never computed, so they stay exactly as the bids gave them.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_FLOOR, Context, Decimal, Inexact, localcontext

PRO_RATA = "pro_rata"
TIME_PRIORITY = "time_priority"
ALLOCATIONS = (PRO_RATA, TIME_PRIORITY)

LINEAR = "linear"
EXPONENTIAL = "exponential"
LOGARITHMIC = "logarithmic"
ELASTICITY_TYPES = (LINEAR, EXPONENTIAL, LOGARITHMIC)

# An elastic schedule becomes at most this many price steps (plus the floor), whatever its tick: the ladder
# is published with the auction and read on every clearing.
MAX_LADDER_STEPS = 100

# Additions, multiplications and integer divisions are exact in this context (unbounded precision);
# Inexact is trapped so that an operation that would round fails loudly instead.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact])
# The elastic shapes need exp and ln, which cannot be exact: 34 significant digits (IEEE decimal128),
# rounded half-even, gives every machine the same ladder; the result is floored to whole lots anyway.
_SHAPE = Context(prec=34)

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class BidIn:
    bid_id: str
    price: Decimal
    quantity: Decimal
    arrival: int  # increasing per auction: breaks ties at the clearing price


@dataclass(frozen=True, slots=True)
class Tranche:
    price: Decimal  # the quantity is offered at any price at or above this one
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class SupplySchedule:
    base_quantity: Decimal
    price_floor: Decimal
    price_ceiling: Decimal
    elasticity_type: str  # linear | exponential | logarithmic
    elasticity_factor: Decimal


@dataclass(frozen=True, slots=True)
class Clearing:
    price: Decimal | None  # None: nothing executes
    volume: Decimal
    demand: Decimal  # at the price (with no price: every bid at or above the reserve)
    supply: Decimal  # at the price (with no price: the whole ladder)
    imbalance: Decimal  # demand - supply, signed: positive when bids exceed supply
    allocations: dict[str, Decimal]  # bid_id -> allocated quantity, 0 for bids that get nothing


def clear(
    *,
    bids: Sequence[BidIn],
    ladder: Sequence[Tranche],
    reserve_price: Decimal,
    lot_size: Decimal,
    allocation: str = PRO_RATA,
) -> Clearing:
    """Clear a uniform-price auction.

    Candidate prices are the bid prices and the ladder's prices at or above the reserve. The clearing price
    p* maximises the executed volume min(demand(p), supply(p)), then minimises |demand(p) - supply(p)|, then
    is the highest such price, where demand(p) sums the bids priced at or above p and supply(p) the tranches
    priced at or below p. Bids above p* fill in full, bids below get nothing, bids at p* share what is left:
    pro rata in whole lots (each the floor of its share, then the lots left one at a time in arrival order
    to the bids that were rounded down, so nobody is a whole lot from their exact share) or, with
    allocation="time_priority", in arrival order. O(n log n): one sort of the price levels, running sums.
    """
    _require_lot(lot_size)
    _require_price(reserve_price, "reserve_price")
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {', '.join(ALLOCATIONS)}, not {allocation!r}")
    with localcontext(_EXACT):
        bid_lots = _bid_lots(bids, lot_size)
        demand_by_price = _demand_by_price(bids, bid_lots, reserve_price)
        supply_by_price = _sum_by_price(zip((tranche.price for tranche in ladder), _tranche_lots(ladder, lot_size), strict=True))
        point = _clearing_point(demand_by_price, supply_by_price, reserve_price)
        if point is None:
            demand, supply = sum(demand_by_price.values()), sum(supply_by_price.values())
            return Clearing(
                price=None,
                volume=_ZERO,
                demand=demand * lot_size,
                supply=supply * lot_size,
                imbalance=(demand - supply) * lot_size,
                allocations={bid.bid_id: _ZERO for bid in bids},
            )
        price, demand, supply = point
        volume = min(demand, supply)
        # Why the bids above p* always fit: let A be their demand and q the lowest bid price above p* (a
        # candidate), so demand(q) = A. If A > supply(p*), the volume at q, min(A, supply(q)), is at least
        # supply(p*), itself at least the volume at p*. p* has the largest volume, so all three are equal:
        # supply(q) = supply(p*) <= demand(p*), and q's imbalance A - supply(p*) is no larger than p*'s
        # demand(p*) - supply(p*): the higher q would have won. So A <= supply(p*), and A <= demand(p*)
        # trivially: A <= volume. What is left, volume - A <= demand(p*) - A, is at most what the bids at
        # p* ask for, and a whole number of lots since every quantity is.
        left = volume - (demand - demand_by_price.get(price, 0))
        marginal = sorted((i for i, bid in enumerate(bids) if bid.price == price), key=lambda i: bids[i].arrival)
        wanted = [bid_lots[i] for i in marginal]
        shares = _pro_rata(wanted, left) if allocation == PRO_RATA else _time_priority(wanted, left)
        allocations = {bid.bid_id: bid.quantity if bid.price > price else _ZERO for bid in bids}
        for i, share in zip(marginal, shares, strict=True):
            allocations[bids[i].bid_id] = share * lot_size
        return Clearing(
            price=price,
            volume=volume * lot_size,
            demand=demand * lot_size,
            supply=supply * lot_size,
            imbalance=(demand - supply) * lot_size,
            allocations=allocations,
        )


def ladder_compile(
    *,
    schedule: SupplySchedule | None,
    supply_quantity: Decimal | None,
    reserve_price: Decimal,
    tick_size: Decimal,
    lot_size: Decimal,
) -> list[Tranche]:
    """The supply ladder an auction publishes: (price, quantity) tranches, prices ascending.

    Fixed supply is one tranche, `[Tranche(reserve_price, supply_quantity)]`.

    An elastic schedule offers base_quantity in total, spread over [price_floor, price_ceiling]. With
    t = (p - price_floor) / (price_ceiling - price_floor) in [0, 1] and k = elasticity_factor >= 0, the
    quantity offered at prices up to p is base_quantity * g(t) / g(1), with the seed system's shapes
    (its create_elastic_schedule), scaled so that the total is base_quantity:
        linear       g(t) = 1 + k t
        exponential  g(t) = exp(k t)
        logarithmic  g(t) = 1 + ln(1 + k t)
    so a share g(0)/g(1) is offered at the floor and the rest arrives as the price rises; k = 0 offers
    everything at the floor, a larger k holds more back for higher prices.

    Steps: one per tick from the floor to the ceiling, or MAX_LADDER_STEPS evenly spaced ticks when there
    are more ticks than that (step i at floor + tick * ceil(i * ticks / steps), i = 0..steps, so the last
    step is the ceiling). At each step the cumulative quantity is floored to whole lots (the ceiling gets
    exactly base_quantity) and a tranche holds the difference from the step before; empty steps are
    left out. exp and ln are evaluated with 34 significant digits, so the ladder is the same everywhere.
    The seller sells nothing below the reserve: quantity priced below reserve_price is offered at it.
    """
    _require_lot(lot_size)
    _require_positive(tick_size, "tick_size")
    _require_on_grid(reserve_price, tick_size, "reserve_price")
    if (schedule is None) == (supply_quantity is None):
        raise ValueError("give either a supply schedule or a fixed supply quantity, not both or neither")
    with localcontext(_EXACT):
        if supply_quantity is not None:
            _lots(supply_quantity, lot_size, "supply_quantity")
            return [Tranche(price=reserve_price, quantity=supply_quantity)]
        assert schedule is not None  # exactly one of the two, checked above
        return _elastic_ladder(schedule, reserve_price, tick_size, lot_size)


def demand_curve(*, bids: Sequence[BidIn], reserve_price: Decimal, lot_size: Decimal) -> list[tuple[Decimal, Decimal]]:
    """The anonymised demand curve of a public result: (price, total quantity bid at or above it) for every
    bid price at or above the reserve, highest first. With the ladder it is all it takes to recompute p*."""
    _require_lot(lot_size)
    _require_price(reserve_price, "reserve_price")
    with localcontext(_EXACT):
        levels = _demand_by_price(bids, _bid_lots(bids, lot_size), reserve_price)
        curve, cumulative = [], 0
        for price in sorted(levels, reverse=True):
            cumulative += levels[price]
            curve.append((price, cumulative * lot_size))
        return curve


def marginal_fill_ratio(*, bids: Sequence[BidIn], clearing: Clearing) -> Decimal | None:
    """The share of what the bids at the clearing price asked for that they got (1 when they all filled),
    to 28 significant digits; None when nothing cleared or no bid sits exactly at the clearing price."""
    if clearing.price is None:
        return None
    with localcontext(_EXACT):
        marginal = [bid for bid in bids if bid.price == clearing.price]
        asked = sum(bid.quantity for bid in marginal)
        got = sum(clearing.allocations[bid.bid_id] for bid in marginal)
    if not marginal:
        return None
    return Context(prec=28).divide(got, asked)


def _clearing_point(
    demand_by_price: dict[Decimal, int], supply_by_price: dict[Decimal, int], reserve_price: Decimal
) -> tuple[Decimal, int, int] | None:
    """(p*, demand(p*), supply(p*)) in lots, or None when no candidate price executes anything.

    One pass from the highest candidate down: demand grows by the bids at each price, supply shrinks by the
    tranches priced above it. A candidate replaces the best only when it executes more, or as much with a
    smaller imbalance, so among equals the highest price stays."""
    candidates = sorted(demand_by_price.keys() | {price for price in supply_by_price if price >= reserve_price})
    tranches = sorted(supply_by_price.items())
    supply = sum(supply_by_price.values())
    demand, best, best_volume, best_imbalance = 0, None, 0, 0
    for price in reversed(candidates):
        demand += demand_by_price.get(price, 0)
        while tranches and tranches[-1][0] > price:
            supply -= tranches.pop()[1]
        volume = min(demand, supply)
        imbalance = abs(demand - supply)
        if volume > best_volume or (volume == best_volume and best is not None and imbalance < best_imbalance):
            best, best_volume, best_imbalance = (price, demand, supply), volume, imbalance
    return best


def _pro_rata(wanted: list[int], available: int) -> list[int]:
    """Whole-lot shares of `available` proportional to `wanted` (in arrival order): each bid the floor of
    its exact share, then the lots left one each, in arrival order, to the bids whose share was rounded
    down. Those floors missed a fraction of a lot each and the fractions add up to the lots left, so there
    are more such bids than lots left, and every bid ends within one lot of its exact share (never above
    its bid: a share that was rounded down is below the bid)."""
    total = sum(wanted)
    shares = [available * lots // total for lots in wanted]
    rounded_down = [index for index, lots in enumerate(wanted) if available * lots % total]
    for index in rounded_down[: available - sum(shares)]:
        shares[index] += 1
    return shares


def _time_priority(wanted: list[int], available: int) -> list[int]:
    shares = []
    for lots in wanted:
        share = min(lots, available)
        shares.append(share)
        available -= share
    return shares


def _elastic_ladder(
    schedule: SupplySchedule, reserve_price: Decimal, tick_size: Decimal, lot_size: Decimal
) -> list[Tranche]:
    floor, ceiling, factor = schedule.price_floor, schedule.price_ceiling, schedule.elasticity_factor
    _require_on_grid(floor, tick_size, "price_floor")
    _require_on_grid(ceiling, tick_size, "price_ceiling")
    if ceiling < floor:
        raise ValueError(f"price_ceiling {ceiling} is below price_floor {floor}")
    if schedule.elasticity_type not in ELASTICITY_TYPES:
        raise ValueError(
            f"elasticity_type must be one of {', '.join(ELASTICITY_TYPES)}, not {schedule.elasticity_type!r}"
        )
    if not isinstance(factor, Decimal) or not factor.is_finite() or factor < 0:
        raise ValueError(f"elasticity_factor must be a finite non-negative Decimal, not {factor!r}")
    base_lots = _lots(schedule.base_quantity, lot_size, "base_quantity")
    ticks = int((ceiling - floor) // tick_size)
    steps = min(ticks, MAX_LADDER_STEPS)
    offsets = [-(-i * ticks // steps) for i in range(steps + 1)] if steps else [0]
    shape = _SHAPES[schedule.elasticity_type]
    whole = shape(factor, Decimal(1))

    def offered_lots(offset: int) -> int:
        share = _SHAPE.divide(shape(factor, _SHAPE.divide(offset, ticks)), whole)
        # min: with more than 34 digits of lots, the rounded product could pass the total
        return min(base_lots, int(_SHAPE.multiply(base_lots, share).to_integral_value(ROUND_FLOOR)))

    cumulative = [offered_lots(offset) for offset in offsets[:-1]] + [base_lots]
    ladder: list[Tranche] = []
    before = 0
    for offset, lots in zip(offsets, cumulative, strict=True):
        if lots == before:
            continue
        price = max(floor + offset * tick_size, reserve_price)
        quantity = (lots - before) * lot_size
        if ladder and ladder[-1].price == price:
            quantity += ladder.pop().quantity
        ladder.append(Tranche(price=price, quantity=quantity))
        before = lots
    return ladder


_SHAPES = {
    LINEAR: lambda k, t: _SHAPE.add(1, _SHAPE.multiply(k, t)),
    EXPONENTIAL: lambda k, t: _SHAPE.multiply(k, t).exp(_SHAPE),
    LOGARITHMIC: lambda k, t: _SHAPE.add(1, _SHAPE.add(1, _SHAPE.multiply(k, t)).ln(_SHAPE)),
}


def _bid_lots(bids: Sequence[BidIn], lot_size: Decimal) -> list[int]:
    """Each bid's quantity in lots, after checking the book: sane prices, ids and arrivals unique.
    One pass and no message built unless something is wrong: this is most of the time of a clearing."""
    lots = []
    for bid in bids:
        try:
            _require_price(bid.price, "price")
            if type(bid.arrival) is not int:
                raise ValueError(f"arrival must be an int, not {bid.arrival!r}")
            lots.append(_lots(bid.quantity, lot_size, "quantity"))
        except ValueError as error:
            raise ValueError(f"bid {bid.bid_id}: {error}") from None
    if len({bid.bid_id for bid in bids}) < len(bids):
        raise ValueError("bid ids must be unique")
    if len({bid.arrival for bid in bids}) < len(bids):
        raise ValueError("bid arrivals must be unique: they order the bids at the clearing price")
    return lots


def _tranche_lots(ladder: Sequence[Tranche], lot_size: Decimal) -> list[int]:
    lots = []
    for tranche in ladder:
        try:
            _require_price(tranche.price, "price")
            lots.append(_lots(tranche.quantity, lot_size, "quantity"))
        except ValueError as error:
            raise ValueError(f"tranche {tranche}: {error}") from None
    return lots


def _demand_by_price(bids: Sequence[BidIn], bid_lots: list[int], reserve_price: Decimal) -> dict[Decimal, int]:
    levels = zip((bid.price for bid in bids), bid_lots, strict=True)
    return _sum_by_price((price, lots) for price, lots in levels if price >= reserve_price)


def _sum_by_price(pairs: Iterable[tuple[Decimal, int]]) -> dict[Decimal, int]:
    # Decimal('152') and Decimal('152.0') are one key: equal decimals hash alike.
    levels: defaultdict[Decimal, int] = defaultdict(int)
    for price, quantity in pairs:
        levels[price] += quantity
    return levels


def _lots(quantity: Decimal, lot_size: Decimal, what: str) -> int:
    _require_positive(quantity, what)
    lots, rest = divmod(quantity, lot_size)
    if rest:
        raise ValueError(f"{what} {quantity} is not a whole number of lots of {lot_size}")
    return int(lots)


def _require_lot(lot_size: Decimal) -> None:
    _require_positive(lot_size, "lot_size")


def _require_positive(value: Decimal, what: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise ValueError(f"{what} must be a positive finite Decimal, not {value!r}")


def _require_price(value: Decimal, what: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(f"{what} must be a non-negative finite Decimal, not {value!r}")


def _require_on_grid(price: Decimal, tick_size: Decimal, what: str) -> None:
    _require_price(price, what)
    with localcontext(_EXACT):
        if price % tick_size:
            raise ValueError(f"{what} {price} is not on the tick grid of {tick_size}")
