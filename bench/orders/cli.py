"""The order-path benchmark of the CantonDEX gateway, with its physical reference, in one invocation.

    python -m bench orders                         # 8 traders, 50 orders each, on 1 market then on 4
    python -m bench orders --rate 100              # a steady 100 orders/s overall, for the latency figures
    python -m bench orders --seconds 30 --markets 1
    python -m bench orders --servers 2             # two daphne processes on Redis
    make bench BENCH_ARGS="orders --clients 8"

Traders (real users made by `manage.py create_account`) post limit orders over keep-alive HTTP, about
half of which fill on arrival, while each holds a WebSocket on its own orders and trades streams.
The run FAILS (exit status 1) when any socket misses, repeats or reorders an event its orders caused.
By default the database is a throwaway one on the PostgreSQL server at 127.0.0.1:5432, dropped at
the end; pgbench's simple-update TPS on that same server is measured in the same run.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench import database, postgres, processes, profiling
from bench.cli import load_average, machine_line, print_profile, settings_overrides_check
from bench.orders import report, scenario
from bench.orders.load import Plan
from bench.orders.traders import markets_create, traders_create
from bench.servers import TARGETS, Environment, Target, redis_unreachable

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_ORDERS_PER_CLIENT = 50


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench orders", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--clients", type=int, default=8, help="traders, each with one HTTP connection and one WebSocket (default 8)")
    parser.add_argument("--orders", type=int, help=f"orders per trader (default {DEFAULT_ORDERS_PER_CLIENT}; not with --seconds)")
    parser.add_argument("--seconds", type=float, help="post orders for this long instead of a fixed number")
    parser.add_argument("--rate", type=float, help="a steady rate in orders/s, all traders together (default: as fast as answers come)")
    parser.add_argument("--markets", default="1,4", help="comma-separated market counts, one scenario each (default 1,4)")
    parser.add_argument("--servers", type=int, default=1, help="daphne processes; more than 1 runs them on Redis (default 1)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help="a PostgreSQL server (a throwaway database is made and dropped), a URL naming a database "
                             "(used as it is; the run's users, markets and orders stay in it), or 'sqlite' (a throwaway file; no "
                             "pgbench, no connection count)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/9",
                        help="for --servers > 1 (default: REDIS_URL, else database 9 of the local Redis)")
    parser.add_argument("--pgbench-seconds", type=int, default=5, help="length of the pgbench reference; 0 skips it (default 5)")
    parser.add_argument("--set", action="append", default=[], metavar="CDX_NAME=VALUE", help="a setting for the project's server")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every figure to FILE")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="record the server with py-spy while the orders are posted (raw files in DIR)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary directory with every process's log")
    args = parser.parse_args(argv)
    if args.profile is not None:
        reason = profiling.available()
        if reason:
            parser.error(f"--profile: {reason}")
        args.profile.mkdir(parents=True, exist_ok=True)
        args.profile = args.profile.resolve()
    if args.orders is not None and args.seconds is not None:
        parser.error("give --orders or --seconds, not both")
    if args.seconds is None and args.orders is None:
        args.orders = DEFAULT_ORDERS_PER_CLIENT
    try:
        args.markets = [int(n) for n in args.markets.split(",") if n.strip()]
    except ValueError:
        parser.error(f"--markets wants comma-separated counts, not {args.markets!r}")
    if not args.markets or min(args.markets) < 1 or args.clients < 1 or args.servers < 1:
        parser.error("--markets, --clients and --servers must be at least 1")
    settings_overrides_check(parser, args.set)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    processes.install_cleanup()
    workdir = Path(tempfile.mkdtemp(prefix="cdx-bench-orders-"))
    status = 1
    try:
        with postgres.database_for_run(args.database_url, "cdx_bench_orders_") as database_url:
            try:
                status = run(args, workdir, database_url)
            finally:
                processes.stop_all()
        return status
    except KeyboardInterrupt:
        print("\ninterrupted; stopping every process the bench started", file=sys.stderr)
        status = 130
        return status
    finally:
        if args.keep_logs or status == 1:
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path, database_url: str) -> int:
    started = time.monotonic()
    on_postgres = postgres.is_postgres(database_url)
    print(machine_line())
    amount = f"{args.orders} orders each" if args.orders is not None else f"for {args.seconds:g} s"
    print(f"traders: {args.clients}, posting {amount}"
          + (f" at {args.rate:g} orders/s overall" if args.rate else " as fast as answers come")
          + f"; markets: {', '.join(map(str, args.markets))}; daphne processes: {args.servers}")
    target = _target(args)
    url = database.configure(None if database_url == "sqlite" else database_url, workdir)
    os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1"  # DEBUG off allows no host unless told; the servers inherit this
    database.migrate(sqlite=url.startswith("sqlite"))
    prefix = f"o{uuid.uuid4().hex[:4]}"
    env = Environment(
        database_url=url, jwt_secret=database.jwt_secret(), redis_url=args.redis_url, workdir=workdir,
        settings=dict(item.split("=", 1) for item in args.set),
    )
    # Counted first, on a market of its own, before the scenarios' markets exist: every order reads
    # each market's best prices, so the count grows with the markets in the database. Its two traders
    # hold the two currencies of that market, as a trader of that one market would.
    statement_symbol = markets_create(prefix=f"{prefix.upper()}SQL", count=1)[0]
    statement_accounts = traders_create(prefix=f"{prefix}_sql", count=2, bases=[statement_symbol.split("/")[0]])
    statements = _statements(env, target, statement_symbol, statement_accounts)
    print(f"SQL statements per order: {statements['resting']} resting, {statements['filling']} filling once "
          f"({statements['method']}; {statements['markets_in_database']} markets in the database)")
    symbols = {m: markets_create(prefix=f"{prefix.upper()}M{m}X", count=m) for m in args.markets}
    bases = [s.split("/")[0] for group in symbols.values() for s in group]
    traders = traders_create(prefix=f"{prefix}_trader", count=args.clients, bases=bases)
    print(f"database: {_describe(args.database_url, database_url)}; {args.clients} traders and "
          f"{sum(args.markets) + 1} markets made in {time.monotonic() - started:.1f} s")
    own_pid = _own_backend_pid() if on_postgres else None

    results = []
    for count in args.markets:
        plan = Plan(symbols=symbols[count], orders_per_client=args.orders, seconds=args.seconds, rate=args.rate, clients=args.clients)
        print(f"measuring {count} market(s) (load average {load_average()}) ...", flush=True)
        setting = scenario.Setting(target, env, traders, plan, url if on_postgres else None, own_pid, args.profile)
        results.append(scenario.run(setting, log=lambda line: print(line, flush=True)))

    reference = {"tps": None, "note": "SQLite: no PostgreSQL server to measure"}
    if on_postgres and args.pgbench_seconds > 0:
        print(f"measuring pgbench -N with {args.clients} clients for {args.pgbench_seconds} s (load average {load_average()}) ...", flush=True)
        reference = postgres.pgbench_tps(url, clients=args.clients, seconds=args.pgbench_seconds, threads=min(args.clients, os.cpu_count() or 1))
    elif on_postgres:
        reference["note"] = "--pgbench-seconds 0"

    print()
    print(report.table(results))
    print()
    for line in report.lines(statements, reference, results, on_postgres):
        print(line)
    for result in results:
        if result["profile"]:
            print_profile({"label": f"{result['markets']} market(s)", "orders": result}, "orders")
    print(f"\nwhole run: {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(
            {"scenarios": results, "sql_statements": statements, "pgbench": reference, "database": "postgresql" if on_postgres else "sqlite",
             "args": vars(args)}, default=str, indent=1,
        ))
    return 0 if all(r["events"]["passed"] for r in results) else 1


def _target(args: argparse.Namespace) -> Target:
    if args.servers == 1:
        return TARGETS["project"]
    reason = redis_unreachable(args.redis_url)
    if reason:
        raise SystemExit(f"--servers {args.servers} needs Redis: {reason}")
    return Target(f"project-redis-{args.servers}", f"project (Redis, {args.servers} processes)", project=True, redis=True, processes=args.servers)


def _describe(given: str, used: str) -> str:
    if used == "sqlite" or not postgres.is_postgres(used):
        return "throwaway SQLite file"
    if given != used:
        return f"throwaway PostgreSQL database {postgres.database_name(used)} (dropped at the end)"
    return f"PostgreSQL database {postgres.database_name(used)} (given; kept)"


def _statements(env: Environment, target: Target, symbol: str, accounts: list) -> dict:
    """Counted in a process of the project's own (bench.orders.statements), before any server runs."""
    run = subprocess.run(
        [sys.executable, "-m", "bench.orders.statements", symbol, accounts[0].account_id, accounts[1].account_id],
        cwd=processes.REPO, env=env.for_target(target), capture_output=True, text=True, timeout=300,
    )
    if run.returncode != 0:
        raise RuntimeError(f"counting SQL statements failed:\n{run.stderr[-2000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def _own_backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]
