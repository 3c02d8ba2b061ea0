"""Bids per second accepted over the WebSocket while 1,000 clients follow the auction, and the delay of `new_bid`.

    python -m bench auctions                     # 1,000 followers, 20 bidders, 500 bids
    python -m bench auctions --quick             # 100 followers, 5 bidders, 200 bids: seconds
    python -m bench auctions --profile DIR       # py-spy on the server while the bids arrive

One daphne (the project on the in-process channel layer, a throwaway SQLite file in WAL mode), one auction.
The followers (Node `ws`, bench/client.js) subscribe to the auction's `auction` and `bids` channels and time
each `new_bid` from its `payload.timestamp` (the server's time of the bid, in milliseconds) to its arrival.
The bidders (this process, `websockets`) each send `submit_bid` and wait for its direct reply (`bid_accepted`)
before the next: the rate is what the server accepts while it fans every bid out to the followers, not what
is queued. Everything on 127.0.0.1; the figures share the machine's cores with the load clients.
"""

import argparse
import asyncio
import io
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from bench import database, processes, profiling
from bench.cli import machine_line
from bench.loadclient import LoadClient, ensure_node_modules
from bench.measure import cpu_seconds, percentile
from bench.orders.traders import Trader, markets_create, traders_create
from bench.servers import TARGETS, Environment, Server, start_server

# From the profile (README, "Auction bidding benchmark"): a bid costs the server about 18 ms of CPU, nearly all
# of it SQLite queries on the one ORM thread (database_sync_to_async): the trading core's ChangeSet.apply (its
# mark_prices and account valuation about a quarter of the bid, the balance rows, publish), the auction's row
# lock and step; the commit's fsync comes on top. Fanning a new_bid out to 1,000 followers costs about 10 ms at
# the ~100,000 deliveries/s of the fan-out benchmark (Twisted's writes, epoll modify). The relay reads the event
# log on that same ORM thread, so a new_bid waits behind the bids queued there. Target on an idle 2-core machine
# with 1,000 followers: 30 bids/s accepted (1 / (18 + 10) ms, less a margin), new_bid delivered p99 <= 1 s.
TARGET_BIDS_PER_S = 30.0
TARGET_DELIVERY_P99_MS = 1000.0
MAX_BIDS_PER_BIDDER = 1000  # the auction's max_bids_per_account allows no more


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench auctions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 followers, 5 bidders, 200 bids")
    parser.add_argument("--followers", type=int, help="clients following the auction (default 1000, quick 100)")
    parser.add_argument("--bidders", type=int, help="bidding connections (default 20, quick 5)")
    parser.add_argument("--bids", type=int, help="bids in all (default 500, quick 200)")
    parser.add_argument("--set", action="append", default=[], metavar="CDX_NAME=VALUE", help="a setting for the server")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="record the server with py-spy while the bids arrive")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every figure to FILE")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary directory with every process's log")
    args = parser.parse_args(argv)
    args.followers = args.followers or (100 if args.quick else 1000)
    args.bidders = args.bidders or (5 if args.quick else 20)
    args.bids = args.bids or (200 if args.quick else 500)
    if args.bids > args.bidders * MAX_BIDS_PER_BIDDER:
        parser.error(f"at most {MAX_BIDS_PER_BIDDER} bids per bidder")
    for item in args.set:
        if "=" not in item or not item.startswith("CDX_"):
            parser.error(f"--set wants CDX_NAME=VALUE, not {item!r}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    processes.install_cleanup()
    workdir = Path(tempfile.mkdtemp(prefix="cdx-bench-auction-"))
    status = 1
    try:
        status = run(args, workdir)
        return status
    finally:
        processes.stop_all()
        if args.keep_logs or status != 0:
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path) -> int:
    print(machine_line())
    print(f"followers: {args.followers} on the auction and bids channels; bidders: {args.bidders}; bids: {args.bids}")
    ensure_node_modules()
    profile_dir = _profile_dir(args.profile)
    database_url = database.configure(None, workdir)
    database.migrate(sqlite=True)
    prefix = f"A{uuid.uuid4().hex[:5].upper()}"
    followers = database.traders_create(count=args.followers, prefix=f"{prefix.lower()}_f")
    auction_id, bidders = _auction_with_bidders(prefix, args.bidders)
    env = Environment(
        database_url=database_url,
        jwt_secret=database.jwt_secret(),
        redis_url="",
        workdir=workdir,
        # The bidders are measured, not throttled: each sends one message at a time anyway.
        settings={"CDX_WS_RATE_LIMIT_PER_S": "100000", **dict(item.split("=", 1) for item in args.set)},
    )
    server = start_server(TARGETS["project"], env)
    load = LoadClient(
        urls=server.urls,
        clients=[{"token": f.token, "accountStream": False} for f in followers],
        symbol="",
        concurrency=1000,
        workdir=workdir,
        name="auction",
        follow={
            "subscriptions": [{"channel": "auction", "auction_id": auction_id}, {"channel": "bids", "auction_id": auction_id}],
            "eventType": "new_bid",
        },
    )
    try:
        connected = load.connect()
        print(f"followers connected: {connected['ok']} ({connected['failed']} failed {connected['errors']}) in {connected['seconds']:.1f} s")
        figures = _bidding(server, load, auction_id, bidders, args, profile_dir, workdir)
    finally:
        load.close()
        server.stop()
    # The machine is shared: what else ran bears on every figure.
    figures.update(followers=args.followers, bidders=args.bidders, followers_connected=connected["ok"], load_average=os.getloadavg()[0])
    print_figures(figures)
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if figures["accepted"] == args.bids and figures["followers_complete"] == connected["ok"] else 2


def _profile_dir(requested: Path | None) -> Path | None:
    if requested is None:
        return None
    reason = profiling.available()
    if reason:
        print(f"no profile: {reason}")
        return None
    requested.mkdir(parents=True, exist_ok=True)
    return requested.resolve()


def _auction_with_bidders(prefix: str, count: int) -> tuple[str, list[Trader]]:
    """A fresh market, a seller offering 1,000 of it, an administrator and `count` funded bidders; the auction
    runs for an hour (longer than any run) and takes up to 1,000 bids per account."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from auctions.services import auction_create

    (symbol,) = markets_create(prefix=prefix, count=1)
    (seller,) = traders_create(prefix=f"{prefix.lower()}_s", count=1, bases=[symbol.split("/")[0]])
    bidders = traders_create(prefix=f"{prefix.lower()}_b", count=count, bases=[])
    call_command("create_account", f"{prefix.lower()}_admin", "--role", "admin", "--password", uuid.uuid4().hex, stdout=io.StringIO())
    auction = auction_create(
        created_by=get_user_model().objects.get(username=f"{prefix.lower()}_admin"),
        symbol=symbol,
        seller_account_id=seller.account_id,
        reserve_price=Decimal("10"),
        supply_quantity=Decimal("1000"),
        duration_ms=3_600_000,
        max_bids_per_account=MAX_BIDS_PER_BIDDER,
    )
    return auction.id, bidders


def _bidding(server: Server, load: LoadClient, auction_id: str, bidders: list[Trader], args, profile_dir, workdir) -> dict:
    load.expect(args.bids, timeout_s=120 + args.bids * args.followers / 20_000)
    profile = profiling.Profile(server.pids[0], profile_dir / "auction-bids.txt", workdir) if profile_dir else None
    cpu_before = cpu_seconds(server)
    bids = asyncio.run(_bid_all(server.urls[0], bidders, auction_id, args.bids))
    server_cpu = cpu_seconds(server) - cpu_before
    if profile is not None:
        profile.stop()
    got = load.received(timeout_s=120 + args.bids * args.followers / 20_000)
    latencies = got["latencies_ms"]
    figures = {
        **bids,
        "server_cpu_share": server_cpu / bids["seconds"],
        "deliveries": got["received"],
        "followers_complete": got["complete"],
        "gaps": got["gaps"],
        "delivery_ms": {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99), "max": latencies[-1] if latencies else 0},
        "deliveries_per_s": got["received"] / max(0.001, (got["last_at_ms"] - got["first_at_ms"]) / 1000),
        "profile": str(profile.out) if profile else None,
    }
    if profile is not None:
        figures["profile_top"] = profiling.top_frames(profile.out, limit=12)
    return figures


async def _bid_all(url: str, bidders: list[Trader], auction_id: str, total: int) -> dict:
    """Every bidder authenticates, then all bid at once, each waiting for the reply to its bid before the next."""
    import websockets

    share = [total // len(bidders) + (1 if n < total % len(bidders) else 0) for n in range(len(bidders))]
    round_trips: list[float] = []
    outcomes: dict[str, int] = {}
    start = asyncio.Event()
    ready: list[Trader] = []

    async def bidder(trader: Trader, count: int) -> None:
        async with websockets.connect(url, compression=None, max_queue=None) as socket:
            await socket.send(json.dumps({"type": "auth", "token": trader.token}))
            await _reply(socket, {"auth_response"})
            ready.append(trader)
            if len(ready) == len(bidders):
                start.set()
            await start.wait()
            for n in range(count):
                price = 10 + n % 50  # whole numbers on the 0.01 tick, at or above the reserve of 10
                sent = time.perf_counter()
                await socket.send(json.dumps({"type": "submit_bid", "auction_id": auction_id, "payload": {"quantity": 1, "price": price}}))
                reply = await _reply(socket, {"bid_accepted", "bid_rejected", "error"})
                round_trips.append((time.perf_counter() - sent) * 1000)
                outcomes[reply["type"]] = outcomes.get(reply["type"], 0) + 1

    tasks = [bidder(trader, count) for trader, count in zip(bidders, share, strict=True) if count]
    began = time.perf_counter()
    await asyncio.gather(*tasks)
    seconds = time.perf_counter() - began  # includes the authentications, a few ms
    round_trips.sort()
    accepted = outcomes.get("bid_accepted", 0)
    return {
        "bids": total,
        "accepted": accepted,
        "outcomes": outcomes,
        "seconds": seconds,
        "bids_per_s": accepted / seconds,
        "submit_ms": {"p50": percentile(round_trips, 50), "p99": percentile(round_trips, 99)},
    }


async def _reply(socket, kinds: set[str]) -> dict:
    """The next message of one of `kinds`; pings are answered, pushed events skipped (a bidder follows nothing)."""
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), 60))
        if message["type"] in kinds:
            return message
        if message["type"] == "ping":
            await socket.send('{"type":"pong"}')


def print_figures(figures: dict) -> None:
    submit, delivery = figures["submit_ms"], figures["delivery_ms"]
    print(f"load average (1 min) at the end: {figures['load_average']:.1f} on {os.cpu_count()} cores")
    print(f"bids accepted: {figures['accepted']} of {figures['bids']} {figures['outcomes']} in {figures['seconds']:.2f} s: "
          f"{figures['bids_per_s']:.0f} bids/s (target {TARGET_BIDS_PER_S:g}: {_verdict(figures['bids_per_s'] >= TARGET_BIDS_PER_S)})")
    print(f"submit_bid round trip: p50 {submit['p50']:.1f} ms, p99 {submit['p99']:.1f} ms; server CPU {figures['server_cpu_share']:.0%} of one core")
    print(f"new_bid to {figures['followers_connected']} followers: {figures['deliveries']} deliveries ({figures['deliveries_per_s']:.0f}/s), "
          f"{figures['followers_complete']} followers got every bid, {figures['gaps']} gaps")
    print(f"new_bid delivery delay: p50 {delivery['p50']:.0f} ms, p99 {delivery['p99']:.0f} ms, max {delivery['max']:.0f} ms "
          f"(target p99 {TARGET_DELIVERY_P99_MS:g} ms: {_verdict(delivery['p99'] <= TARGET_DELIVERY_P99_MS)})")
    if figures.get("profile_top"):
        samples, own, total = figures["profile_top"]
        print(f"profile ({samples} samples, {figures['profile']}), most time on the stack:")
        for name, n in total:
            print(f"  {n / samples:5.1%}  {name}")
        print("most time in the function itself:")
        for name, n in own:
            print(f"  {n / samples:5.1%}  {name}")


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


if __name__ == "__main__":
    sys.exit(main())
