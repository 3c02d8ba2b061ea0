"""One server through the phases of the benchmark: storm, idle memory, burst, steady rate."""

import math
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from bench import processes, profiling
from bench.database import SYMBOL
from bench.loadclient import LoadClient
from bench.servers import Environment, Publisher, Server, Target, start_server

IDLE_SETTLE_S = 1.0  # lets the server finish the storm's work before its memory is read
QUIET_CPU_SHARE = 0.05  # a server below this CPU share has finished the previous phase's work
QUIET_WAIT_S = 120.0


@dataclass
class Plan:
    clients: list[dict]  # {"token", "accountStream"} per simulated client
    warm_up_token: str
    burst_events: int
    steady_rate: float  # deliveries per second, all clients together
    steady_seconds: float
    concurrency: int
    profile_dir: Path | None
    tracemalloc: bool = False  # the project's server traces allocations: where an idle connection's memory goes


def warm_up(url: str, token: str) -> None:
    """One client through auth and subscribe, so lazy start-up (the hub, imports) is not counted as memory per connection."""
    import json

    from websockets.sync.client import connect

    with connect(url, compression=None, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "auth", "token": token}))
        _wait_for(socket, "auth_response")
        socket.send(json.dumps({"type": "subscribe", "channel": "market_data", "symbols": [SYMBOL]}))
        _wait_for(socket, "subscription_response")


def _wait_for(socket, kind: str) -> None:
    import json

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))["type"] == kind:
            return
    raise RuntimeError(f"no {kind} during warm-up")


def burst_timeout(deliveries: int) -> float:
    return min(240.0, 15.0 + deliveries / 1000)  # enough for a server down at 1,000 deliveries/s


def rss_kb(server: Server) -> int:
    return sum(processes.rss_kb(pid) for top in server.pids for pid in processes.descendants(top))


def cpu_seconds(server: Server) -> float:
    # A process that ended meanwhile is not counted: the servers' processes live through a run.
    return sum(processes.cpu_seconds(pid) for top in server.pids for pid in processes.descendants(top))


def wait_until_quiet(server: Server) -> float:
    """Let a server finish what an earlier phase left queued (a slow baseline's backlog) so it is not counted twice."""
    start = time.monotonic()
    while time.monotonic() - start < QUIET_WAIT_S:
        before = cpu_seconds(server)
        time.sleep(0.5)
        if cpu_seconds(server) - before < QUIET_CPU_SHARE * 0.5 * len(server.pids):
            break
    return time.monotonic() - start


def measure(target: Target, env: Environment, plan: Plan, log=print) -> dict:
    server = start_server(target, env)
    publisher = load = None
    try:
        for url in server.urls:
            warm_up(url, plan.warm_up_token)
        rss_before = rss_kb(server)
        heap_before = server.heap_snapshot() if plan.tracemalloc and target.project else None
        load = LoadClient(
            urls=server.urls, clients=plan.clients, symbol=SYMBOL, concurrency=plan.concurrency,
            workdir=env.workdir, name=target.name,
        )
        profile = _profile(server, plan, env, "storm")
        server.gc_pauses()  # from here on
        cpu_before = cpu_seconds(server)
        storm = load.connect()
        storm["server_cpu_seconds"] = cpu_seconds(server) - cpu_before
        storm["gc"] = gc_summary(server.gc_pauses())
        storm["profile"] = _stop(profile)
        log(f"  {target.label}: {storm['ok']}/{len(plan.clients)} connected in {storm['seconds']:.2f} s"
            + (f", failures {storm['errors']}" if storm["failed"] else ""))
        time.sleep(IDLE_SETTLE_S)
        rss_after = rss_kb(server)
        memory = _memory(rss_before, rss_after, storm["ok"])
        if heap_before is not None:
            memory["tracemalloc"] = heap_growth(heap_before, server.heap_snapshot(), storm["ok"])
        publisher = Publisher(server, env)
        wait_until_quiet(server)
        burst = _burst(server, publisher, load, plan, storm["ok"], env)
        log(f"  {target.label}: burst {burst['received']}/{burst['expected']} delivered, {burst['rate']:,.0f}/s")
        wait_until_quiet(server)
        steady = _steady(server, publisher, load, plan, storm["ok"], env)
        log(f"  {target.label}: steady {steady['received']}/{steady['expected']} delivered, p99 {steady['p99']:.1f} ms")
        return {
            "target": target.name,
            "label": target.label,
            "clients": len(plan.clients),
            "storm": _with_rate(storm),
            "memory": memory,
            "burst": burst,
            "steady": steady,
        }
    finally:
        if load is not None:
            load.close()
        if publisher is not None:
            publisher.close()
        server.stop()


def _with_rate(storm: dict) -> dict:
    """The storm's rate, and the server's CPU per connection: a figure that other load on the machine moves less."""
    cpu_ms = storm.get("server_cpu_seconds", math.nan) * 1000 / max(1, storm["ok"])
    return {**storm, "rate": storm["ok"] / storm["seconds"] if storm["seconds"] else 0.0, "server_cpu_ms_per_connection": cpu_ms}


def _memory(rss_before_kb: float, rss_after_kb: float, connections: int) -> dict:
    return {
        "rss_before_kb": rss_before_kb,
        "rss_after_kb": rss_after_kb,
        "per_connection_kb": (rss_after_kb - rss_before_kb) / max(1, connections),
    }


def heap_growth(before, after, connections: int, limit: int = 12) -> dict:
    """What the storm's connections hold, per connection (bytes and blocks), by source line and by file."""
    if after is None:
        return {}

    def top(key: str) -> list[dict]:
        diffs = sorted(after.compare_to(before, key), key=lambda d: d.size_diff, reverse=True)[:limit]
        return [
            {"where": str(d.traceback[0]), "bytes": d.size_diff / connections, "blocks": d.count_diff / connections}
            for d in diffs
        ]

    total = sum(d.size_diff for d in after.compare_to(before, "filename"))
    return {"bytes_per_connection": total / max(1, connections), "by_line": top("lineno"), "by_file": top("filename")}


def _burst(server: Server, publisher: Publisher, load: LoadClient, plan: Plan, clients: int, env: Environment) -> dict:
    expected = clients * plan.burst_events
    timeout = burst_timeout(expected)
    profile = _profile(server, plan, env, "burst")
    server.gc_pauses()
    cpu_before = cpu_seconds(server)
    load.expect(plan.burst_events, timeout)
    published = publisher.run({"cmd": "burst", "count": plan.burst_events}, timeout)
    got = load.received(timeout)
    server_cpu = cpu_seconds(server) - cpu_before
    gc = gc_summary(server.gc_pauses())
    profile_path = _stop(profile)
    window_s = (got["last_at_ms"] - published["firstAt"]) / 1000 if got["received"] else math.nan
    return {
        **_summary(got, expected),
        "publish_seconds": (published["lastAt"] - published["firstAt"]) / 1000,
        "window_seconds": window_s,
        "rate": got["received"] / window_s,
        "server_cpu_share": server_cpu / window_s,
        "client_cpu_share": got["cpu_seconds"] / window_s,
        "gc": gc,
        "profile": profile_path,
    }


def _profile(server: Server, plan: Plan, env: Environment, phase: str) -> profiling.Profile | None:
    if plan.profile_dir is None or not server.target.project:
        return None
    profile = profiling.Profile(server.pids[0], plan.profile_dir / f"{server.target.name}-{phase}.txt", env.workdir)
    time.sleep(0.5)  # py-spy attaches before the phase starts
    return profile


def _stop(profile: profiling.Profile | None) -> str | None:
    if profile is None:
        return None
    profile.stop()
    return str(profile.out)


def gc_summary(pauses: dict[str, list[list[float]]]) -> dict:
    """Collections in a phase: how many, their total and longest pause (wall ms), their CPU (ms), and the
    full ones (generation 2) alone."""
    every = [pause for durations in pauses.values() for pause in durations]
    full = pauses.get("2", [])
    return {
        "collections": len(every),
        "total_ms": sum(wall for wall, _ in every),
        "max_ms": max((wall for wall, _ in every), default=0.0),
        "cpu_ms": sum(cpu for _, cpu in every),
        "full": len(full),
        "full_max_ms": max((wall for wall, _ in full), default=0.0),
        "by_generation": {
            generation: {"n": len(d), "wall_ms": sum(w for w, _ in d), "max_ms": max((w for w, _ in d), default=0.0), "cpu_ms": sum(c for _, c in d)}
            for generation, d in sorted(pauses.items())
        },
    }


def _steady(server: Server, publisher: Publisher, load: LoadClient, plan: Plan, clients: int, env: Environment) -> dict:
    event_rate = plan.steady_rate / max(1, clients)
    count = max(1, round(event_rate * plan.steady_seconds))
    timeout = count / event_rate + 15
    profile = _profile(server, plan, env, "steady")
    load.expect(count, timeout)
    server.gc_pauses()
    published = publisher.run({"cmd": "steady", "rate": event_rate, "count": count}, timeout)
    got = load.received(timeout)
    gc = gc_summary(server.gc_pauses())
    profile_path = _stop(profile)
    seconds = (got["last_at_ms"] - published["firstAt"]) / 1000 if got["received"] else math.nan
    return {
        **_summary(got, clients * count),
        "events": count,
        "rate": got["received"] / seconds,
        "client_cpu_share": got["cpu_seconds"] / seconds,
        "gc": gc,
        "profile": profile_path,
    }


def _summary(got: dict, expected: int) -> dict:
    latencies = got["latencies_ms"]
    return {
        "expected": expected,
        "received": got["received"],
        "gaps": got["gaps"],
        "min": latencies[0] if latencies else math.nan,  # the pipeline to the first socket; p99 - min is the fan-out's spread
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "max": latencies[-1] if latencies else math.nan,
    }


def percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def hold(target: Target, env: Environment, plan: Plan, seconds: float, log=print) -> dict:
    """Many connections held open with heartbeats running, then one short burst to all of them."""
    from dataclasses import replace

    server = start_server(target, env, tag="-hold")
    publisher = load = None
    try:
        for url in server.urls:
            warm_up(url, plan.warm_up_token)
        rss_before = rss_kb(server)
        load = LoadClient(
            urls=server.urls, clients=plan.clients, symbol=SYMBOL, concurrency=plan.concurrency,
            workdir=env.workdir, name=f"{target.name}-hold",
        )
        storm = load.connect(timeout=600)
        log(f"  hold: {storm['ok']}/{len(plan.clients)} connected in {storm['seconds']:.1f} s"
            + (f" (failures {storm['errors']})" if storm["failed"] else "") + f"; holding {seconds:g} s")
        held = load.hold(seconds)
        rss_after = rss_kb(server)
        publisher = Publisher(server, env)
        burst = _burst(server, publisher, load, replace(plan, profile_dir=None), held["open"], env)
        return {
            "clients": len(plan.clients),
            "storm": _with_rate(storm),
            "held": held,
            "seconds": seconds,
            "ping_interval_s": float(env.settings.get("CDX_WS_PING_INTERVAL_S", settings.CDX_WS_PING_INTERVAL_S)),
            "memory": _memory(rss_before, rss_after, held["open"]),
            "burst": burst,
        }
    finally:
        if load is not None:
            load.close()
        if publisher is not None:
            publisher.close()
        server.stop()
