"""The fan-out benchmark of the CantonDEX gateway, in one invocation.

    python -m bench                  # 1,000 clients; project (in-process and Redis layer), naive Channels, bare websockets
    python -m bench --quick          # 200 clients, shorter phases: well under a minute
    python -m bench --hold-connections 10000   # also: 10,000 connections held by one daphne with heartbeats
    make bench BENCH_ARGS="--quick"

Everything listens on and connects to 127.0.0.1. Each server goes through the same phases: a
connection storm (connect + JWT auth + subscribe, every client at once), its resident memory idle,
a burst of events (deliveries per second), then a steady rate (latency from publish to receipt).
The load client is Node `ws` (bench/client.js, compression off); its CPU use is printed.
"""

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench import database, processes, profiling, report
from bench.loadclient import ensure_node_modules
from bench.measure import Plan, hold, measure
from bench.servers import DEFAULT_TARGETS, TARGETS, Environment, redis_unreachable

ACCOUNT_STREAM_EVERY = 10  # one client in ten also follows its own account's orders stream


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 clients and short phases (under a minute)")
    parser.add_argument("--clients", type=int, help="subscribed clients per server (default 1000, quick 200)")
    parser.add_argument(
        "--servers", default=",".join(DEFAULT_TARGETS), help=f"comma-separated, of {', '.join(TARGETS)} (default {','.join(DEFAULT_TARGETS)})"
    )
    parser.add_argument("--burst-events", type=int, default=100, help="events in the burst (default 100)")
    parser.add_argument("--steady-rate", type=float, default=2000, help="deliveries/s of the steady phase (default 2000)")
    parser.add_argument("--steady-seconds", type=float, help="length of the steady phase (default 10, quick 2)")
    parser.add_argument(
        "--one-user",
        action="store_true",
        help="every client signs in as the same trader, with the same JWT (the per-account limit is raised to match)",
    )
    parser.add_argument("--concurrency", type=int, default=1000, help="handshakes in flight during the storm (default 1000)")
    parser.add_argument("--hold-connections", type=int, default=0, help="also hold this many connections on the project's server")
    parser.add_argument("--hold-seconds", type=float, default=65, help="how long to hold them (default 65: two heartbeat rounds)")
    parser.add_argument("--hold-ping-interval", type=float, default=30, help="CDX_WS_PING_INTERVAL_S while holding (default 30)")
    parser.add_argument("--hold-concurrency", type=int, default=250, help="handshakes in flight while they connect (default 250)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="default: a throwaway SQLite file")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/9",
        help="default: REDIS_URL, else database 9 of the local Redis (away from the test suite's database 0)",
    )
    parser.add_argument("--set", action="append", default=[], metavar="CDX_NAME=VALUE", help="a setting for the project's server")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="record the project's server with py-spy during the storm, the burst and the steady phase")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="trace the project's allocations and print where an idle subscribed connection's memory goes (RSS figures are then inflated)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every figure to FILE")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary directory with every process's log")
    args = parser.parse_args(argv)
    args.clients = args.clients or (200 if args.quick else 1000)
    args.steady_seconds = args.steady_seconds or (2.0 if args.quick else 10.0)
    args.servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = [name for name in args.servers if name not in TARGETS]
    if unknown:
        parser.error(f"unknown server(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    settings_overrides_check(parser, args.set)
    return args


def settings_overrides_check(parser: argparse.ArgumentParser, items: list[str]) -> None:
    """Each --set must read CDX_NAME=VALUE (a setting of the project's server)."""
    for item in items:
        if "=" not in item or not item.startswith("CDX_"):
            parser.error(f"--set wants CDX_NAME=VALUE, not {item!r}")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    processes.install_cleanup()
    workdir = Path(tempfile.mkdtemp(prefix="cdx-bench-"))
    status = 1
    try:
        status = run(args, workdir)
        return status
    except KeyboardInterrupt:
        print("\ninterrupted; stopping every process the bench started", file=sys.stderr)
        status = 130
        return status
    finally:
        processes.stop_all()
        if args.keep_logs or status == 1:
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path) -> int:
    started = time.monotonic()
    connections = max(args.clients, args.hold_connections)
    open_files = processes.raise_open_files_limit(2 * connections + 1024)
    print(machine_line())
    who = " signed in as one trader" if args.one_user else ""
    print(f"clients: {args.clients}{who} on one market_data stream (1 in {ACCOUNT_STREAM_EVERY} also on its orders stream); "
          f"burst {args.burst_events} events; steady {args.steady_rate:g} deliveries/s for {args.steady_seconds:g} s; "
          f"open-files limit {open_files}")
    ensure_node_modules()
    if args.profile is not None:
        reason = profiling.available()
        if reason:
            print(f"no profile: {reason}")
            args.profile = None
        else:
            args.profile.mkdir(parents=True, exist_ok=True)
            args.profile = args.profile.resolve()

    database_url = database.configure(args.database_url, workdir)
    external_db = args.database_url is not None
    database.migrate(sqlite=database_url.startswith("sqlite"))
    prefix = f"bench{uuid.uuid4().hex[:6]}_"
    traders = database.traders_create(count=2 if args.one_user else connections + 1, prefix=prefix)
    print(f"database: {'given DATABASE_URL' if external_db else 'throwaway SQLite (WAL)'}; "
          f"{len(traders)} traders with accounts and JWTs in {time.monotonic() - started:.1f} s")
    overrides = dict(item.split("=", 1) for item in args.set)
    if args.tracemalloc:
        overrides["PYTHONTRACEMALLOC"] = "1"
    if args.one_user:  # one account's sockets: as many as the run opens may be counted against it
        overrides.setdefault("CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT", str(connections + 1))
    env = Environment(
        database_url=database_url,
        jwt_secret=database.jwt_secret(),
        redis_url=args.redis_url,
        workdir=workdir,
        settings=overrides,
    )
    signers = [traders[1]] * connections if args.one_user else traders[1:]
    specs = [{"token": t.token, "accountStream": i % ACCOUNT_STREAM_EVERY == 0} for i, t in enumerate(signers)]
    plan = Plan(
        clients=specs[: args.clients],
        warm_up_token=traders[0].token,
        burst_events=args.burst_events,
        steady_rate=args.steady_rate,
        steady_seconds=args.steady_seconds,
        concurrency=args.concurrency,
        profile_dir=args.profile,
        tracemalloc=args.tracemalloc,
    )
    results, skipped = [], {}
    try:
        for name in args.servers:
            target = TARGETS[name]
            reason = redis_unreachable(args.redis_url) if target.redis else None
            if reason:
                skipped[name] = reason
                print(f"skipping {target.label}: {reason}")
                continue
            print(f"measuring {target.label} (load average {load_average()}) ...", flush=True)
            results.append(measure(target, env, plan, log=lambda line: print(line, flush=True)))
        held = None
        if args.hold_connections:
            from dataclasses import replace

            hold_env = replace(env, settings={
                **env.settings,
                "CDX_WS_PING_INTERVAL_S": f"{args.hold_ping_interval:g}",
                # Sockets wait in line to authenticate while thousands connect; 5 s would close the last ones.
                "CDX_WS_AUTH_TIMEOUT_S": "60",
            })
            hold_plan = replace(
                plan, clients=specs[: args.hold_connections], burst_events=10, concurrency=args.hold_concurrency, profile_dir=None
            )
            print(f"holding {args.hold_connections} connections on the project (in-process layer) ...", flush=True)
            held = hold(TARGETS["project"], hold_env, hold_plan, args.hold_seconds, log=lambda line: print(line, flush=True))
    finally:
        if external_db:
            database.traders_delete(prefix=prefix)

    print()
    print(report.table(results))
    print()
    for line in report.verdicts(results):
        print(line)
    if held is not None:
        for line in report.hold_lines(held):
            print(line)
    for result in results:
        if result["memory"].get("tracemalloc"):
            print_heap(result)
    for result in results:
        for phase in ("storm", "burst", "steady"):
            if result[phase].get("profile"):
                print_profile(result, phase)
    print(f"\nwhole run: {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "hold": held, "skipped": skipped, "args": vars(args)}, default=str, indent=1))
    complete = all(
        r["storm"]["failed"] == 0 and r[phase]["received"] == r[phase]["expected"] and r[phase]["gaps"] == 0
        for r in results
        for phase in ("burst", "steady")
    )
    if not complete:
        print("NOT every event reached every client (see 'delivered' and 'sequence gaps' above)")
    return 0 if complete else 1


def print_heap(result: dict) -> None:
    heap = result["memory"]["tracemalloc"]
    print(f"\nheap of {result['label']} per idle subscribed connection (tracemalloc): {heap['bytes_per_connection'] / 1024:.1f} KB")
    for title, key in (("by file", "by_file"), ("by line", "by_line")):
        print(f"  {title}:")
        for row in heap[key]:
            print(f"    {row['bytes']:8,.0f} B {row['blocks']:6.1f} blocks  {row['where']}")


def print_profile(result: dict, phase: str) -> None:
    raw = Path(result[phase]["profile"])
    if not raw.exists():
        print(f"\nno profile written for {result['label']} (see the py-spy log)")
        return
    samples, own, total = profiling.top_frames(raw)
    print(f"\nprofile of {result['label']} during the {phase}: {samples} samples ({raw})")
    print("  top functions by own samples:")
    for frame, n in own:
        print(f"    {n / samples:6.1%}  {frame}")
    print("  top functions by samples anywhere on the stack:")
    for frame, n in total:
        print(f"    {n / samples:6.1%}  {frame}")


def load_average() -> str:
    """Other work on the machine skews every figure: printed before each server."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def machine_line() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"machine: {os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}, Python {platform.python_version()}"
