"""One scenario of the order benchmark: a fresh server, the traders connected and subscribed, the
orders posted, every event they caused waited for, then the figures."""

import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench import profiling
from bench.measure import cpu_seconds
from bench.orders import events
from bench.orders.load import Plan, TraderLoad
from bench.orders.traders import Trader
from bench.postgres import ConnectionPeak
from bench.servers import Environment, Target, start_server

SUBSCRIBE_TIMEOUT_S = 60.0
DRAIN_TIMEOUT_S = 30.0  # after the last answer, for the events still on their way
DRAIN_POLL_S = 0.05


@dataclass
class Setting:
    target: Target
    env: Environment
    traders: list[Trader]
    plan: Plan
    postgres_url: str | None  # None on SQLite: no pg_stat_activity to poll
    own_backend_pid: int | None  # the benchmark's own database connection, left out of the count
    profile_dir: Path | None = None  # py-spy records the (first) server while the orders are posted


def run(setting: Setting, log=print) -> dict:
    plan, traders = setting.plan, setting.traders
    tag = f"-orders-{len(plan.symbols)}m"
    server = start_server(setting.target, setting.env, tag=tag)
    loads: list[TraderLoad] = []
    peak = None
    try:
        if setting.postgres_url and setting.own_backend_pid is not None:  # both set on PostgreSQL
            peak = ConnectionPeak(setting.postgres_url, exclude_pids=[setting.own_backend_pid])
        loads = [
            TraderLoad(index=i, trader=t, http_port=server.ports[i % len(server.ports)], ws_url=server.urls[i % len(server.urls)], plan=plan)
            for i, t in enumerate(traders)
        ]
        for load in loads:
            load.connect()
        _wait_subscribed(loads)
        account_ids = [t.account_id for t in traders]
        base = events.cursors(account_ids)
        profile_path = setting.profile_dir / f"orders{tag}.raw" if setting.profile_dir else None
        profile = profiling.Profile(server.pids[0], profile_path, setting.env.workdir) if profile_path else None
        cpu_before, client_cpu_before = cpu_seconds(server), time.process_time()
        start = time.perf_counter() + 0.05
        for load in loads:
            load.start_orders(start)
        for load in loads:
            load.join_orders()
        if profile:
            profile.stop()
        posted = time.perf_counter()
        log(f"  {len(plan.symbols)} market(s): orders answered in {posted - start:.1f} s; waiting for their events ...")
        truth = events.truth(account_ids=account_ids, symbols=plan.symbols)
        drained = _drain(loads, truth, base)
        server_cpu, client_cpu = cpu_seconds(server) - cpu_before, time.process_time() - client_cpu_before
        for load in loads:
            load.close_socket()
        verdict = events.check(loads, truth, base)
        connections_peak = peak.stop() if peak else None
        peak = None
        figures = _figures(setting, loads, truth, verdict, start, (server_cpu, client_cpu), connections_peak, drained)
        figures["profile"] = str(profile_path) if profile_path else None
    finally:
        if peak is not None:
            peak.stop()
        for load in loads:
            load.close_socket()
        server.stop()
    if figures["http"]["server_errors_5xx"]:
        figures["http"]["server_error_causes"] = _error_causes(setting.env, f"server-{setting.target.name}{tag}*.log")
    return figures


EXCEPTION_LINE = re.compile(r"^[\w.]*(Error|Exception)\b.*")


def _error_causes(env: Environment, pattern: str) -> list[str]:
    """The exceptions the server logged (a traceback's last line), most frequent first: why the 5xx answers."""
    found: Counter[str] = Counter()
    for log_path in env.workdir.glob(pattern):
        for line in log_path.read_text(errors="replace").splitlines():
            if EXCEPTION_LINE.match(line):
                found[line.strip()[:200]] += 1
    return [f"{n}x {line}" for line, n in found.most_common(3)]


def _wait_subscribed(loads: list[TraderLoad]) -> None:
    deadline = time.monotonic() + SUBSCRIBE_TIMEOUT_S
    for load in loads:
        if not load.subscribed.wait(max(0.0, deadline - time.monotonic())):
            raise RuntimeError(f"trader {load.index} was not subscribed within {SUBSCRIBE_TIMEOUT_S:g} s")
    failed = [f"trader {load.index}: {load.socket_error or load.socket.closed_early}" for load in loads if load.socket_error or load.socket.closed_early]
    if failed:
        raise RuntimeError("sockets failed before the orders started:\n  " + "\n  ".join(failed))


def _drain(loads: list[TraderLoad], truth: events.Truth, base: dict) -> float:
    """Seconds spent waiting until every socket has as many events as its streams' cursors say (or the timeout)."""
    started = time.monotonic()
    expected = {
        load.index: sum(truth.last_sequence[(c, load.trader.account_id)] - base[(c, load.trader.account_id)] for c in events.CHANNELS)
        for load in loads
    }
    while time.monotonic() - started < DRAIN_TIMEOUT_S:
        if all(len(load.socket.events) >= expected[load.index] or load.socket_error or load.socket.closed_early for load in loads):
            break
        time.sleep(DRAIN_POLL_S)
    return time.monotonic() - started


def _figures(setting, loads, truth, verdict, start, cpu, connections_peak, drained) -> dict:
    plan = setting.plan
    server_cpu, client_cpu = cpu
    requests = [r for load in loads for r in load.requests]
    created = [r for r in requests if r.status == 201]
    answered = [r for r in requests if r.answered_at is not None]
    window = max(r.answered_at for r in answered) - start if answered else float("nan")
    delays = events.delays_ms(loads, truth)
    takers = {taker for _, _, taker in truth.trades.values()}
    errors = Counter(f"{r.status or 'no answer'}: {r.error}" for r in requests if r.status != 201)
    return {
        "markets": len(plan.symbols),
        "symbols": plan.symbols,
        "clients": len(loads),
        "servers": setting.target.processes,
        "target_rate": plan.rate,
        "orders_sent": len(requests),
        "http": {
            "created_201": len(created),
            "client_errors_4xx": sum(1 for r in requests if r.status and 400 <= r.status < 500),
            "server_errors_5xx": sum(1 for r in requests if r.status and r.status >= 500),
            "no_answer": sum(1 for r in requests if r.status is None),
            "connections_opened": sum(load.http_connections for load in loads),
            "errors": [f"{n}x {error}" for error, n in errors.most_common(5)],
            "server_error_causes": [],
        },
        "seconds": window,
        "orders_per_s": len(created) / window if answered else 0.0,
        "rest_ms": events.summary(sorted((r.answered_at - r.sent_at) * 1000 for r in created)),
        "order_created_ms": events.summary(delays["order_created"]),
        "trade_executed_ms": events.summary(delays["trade_executed"]),
        "orders_in_database": len(truth.orders),
        "trades": len(truth.trades),
        "filled_on_arrival_share": len(takers) / len(truth.orders) if truth.orders else 0.0,
        "events": {"expected": verdict.expected, "received": verdict.received, "passed": verdict.passed, "problems": verdict.problems},
        "drain_seconds": drained,
        "pings_answered": sum(load.socket.pings for load in loads),
        "db_connections_peak": connections_peak,
        "server_cpu_share": server_cpu / window if answered else None,
        # This process (every trader's threads): near 100 % it would delay its own receipts.
        "client_cpu_share": client_cpu / window if answered else None,
    }

