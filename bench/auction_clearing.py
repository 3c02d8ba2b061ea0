"""How long auctions.clearing.clear takes on a large book.

    python -m bench.auction_clearing                      # 10,000 and 100,000 bids, both allocations
    python -m bench.auction_clearing --bids 1000000       # any sizes, comma-separated
    python -m bench.auction_clearing --profile            # and where the time goes (cProfile, largest size)

The book: prices on a 0.01 tick around 100 (normal, sigma 20: about 10,000 distinct levels at 100,000 bids, so
the sort of the levels counts), quantities of 1 to 100 lots of 0.1, arrivals in order, against an elastic
linear ladder (101 tranches from 80 to 120) offering about half of the demand: the price falls inside the
book and a few bids share the margin.
Each figure is the best of --repeat runs. No Django: clearing is a pure function.
"""

import argparse
import cProfile
import io
import pstats
import random
import time
from decimal import Decimal

from auctions.clearing import ALLOCATIONS, BidIn, SupplySchedule, clear, ladder_compile

# From the profile (see the report): per-bid Python work (validation, the lot count, the allocation dict) is
# about two thirds of the time and the sort of the price levels is small, so the time grows with n. Target,
# on the shared 2-core development machine: 1 s for 100,000 bids, scaled linearly for other sizes.
TARGET_SECONDS_PER_100K_BIDS = 1.0

TICK = Decimal("0.01")
LOT = Decimal("0.1")
RESERVE = Decimal("60")


def book(size: int, seed: int = 14) -> list[BidIn]:
    rng = random.Random(seed)
    return [
        BidIn(bid_id=f"bid_{n:016x}", price=Decimal(round(rng.gauss(10_000, 2_000))) * TICK,
              quantity=rng.randint(1, 100) * LOT, arrival=n)
        for n in range(size)
    ]


def ladder_for(size: int):
    # Mean bid 50.5 lots of 0.1: the schedule offers about half of what is bid.
    schedule = SupplySchedule(base_quantity=Decimal(size * 5 // 2), price_floor=Decimal("80"),
                              price_ceiling=Decimal("120"), elasticity_type="linear", elasticity_factor=Decimal("2"))
    return ladder_compile(schedule=schedule, supply_quantity=None, reserve_price=RESERVE, tick_size=TICK, lot_size=LOT)


def measure(size: int, allocation: str, repeat: int) -> dict:
    bids, ladder = book(size), ladder_for(size)
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = clear(bids=bids, ladder=ladder, reserve_price=RESERVE, lot_size=LOT, allocation=allocation)
        seconds.append(time.perf_counter() - started)
    marginal = sum(1 for bid in bids if bid.price == result.price)
    return {"bids": size, "allocation": allocation, "seconds": min(seconds),
            "target": TARGET_SECONDS_PER_100K_BIDS * size / 100_000, "price": result.price,
            "volume": result.volume, "marginal_bids": marginal}


def profile(size: int, top: int = 12) -> str:
    bids, ladder = book(size), ladder_for(size)
    profiler = cProfile.Profile()
    profiler.runcall(clear, bids=bids, ladder=ladder, reserve_price=RESERVE, lot_size=LOT)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.auction_clearing", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bids", default="10000,100000", help="book sizes, comma-separated (default 10000,100000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best counts (default 3)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one clearing at the largest size")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.bids.split(",")]
    print(f"{'bids':>10}  {'allocation':<14}{'seconds':>8}  {'target':>7}  {'bids/s':>10}  price     volume  marginal")
    for size in sizes:
        for allocation in ALLOCATIONS:
            row = measure(size, allocation, args.repeat)
            verdict = "ok" if row["seconds"] <= row["target"] else "MISSED"
            print(f"{size:>10,}  {allocation:<14}{row['seconds']:>8.3f}  {row['target']:>6.2f}s  "
                  f"{size / row['seconds']:>10,.0f}  {row['price']}  {row['volume']}  {row['marginal_bids']}  "
                  f"{verdict}")
    if args.profile:
        print(profile(max(sizes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
