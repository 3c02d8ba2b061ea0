"""The floor under daphne: how fast any Django request can be on this machine, with the order benchmark's
HTTP load (N clients, one keep-alive connection each, stdlib http.client, a thread each):

    python -m bench.orders.floor_http [--clients 8] [--requests 100] [--database-url URL]

One daphne process (as `python -m bench orders` starts it: DJANGO_DEBUG=0, the project's settings and
middleware) serves `POST /bench/floor` (bench/orders/floor.py: JWT authentication, one INSERT, a small
JSON answer). Prints requests/s, the latency p50/p99, the server's CPU share and its CPU milliseconds
per request. The database is a throwaway one on the server of `--database-url` unless the URL names one.
"""

import argparse
import http.client
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from bench import database, postgres, processes
from bench.cli import load_average
from bench.measure import cpu_seconds
from bench.orders.events import summary
from bench.servers import Environment, Target, start_server

FLOOR = Target("floor", "project with /bench/floor", project=True, app="bench.orders.floor_asgi:application")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.orders.floor_http", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=100, help="per client (default 100)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    processes.install_cleanup()
    workdir = Path(tempfile.mkdtemp(prefix="cdx-bench-floor-"))
    with postgres.database_for_run(args.database_url, "cdx_bench_floor_") as database_url:
        try:
            return _serve_and_run(args, workdir, database_url)
        finally:
            processes.stop_all()
            shutil.rmtree(workdir, ignore_errors=True)


def _serve_and_run(args: argparse.Namespace, workdir: Path, database_url: str) -> int:
    url = database.configure(database_url, workdir)
    os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1"
    database.migrate(sqlite=False)
    traders = database.traders_create(count=args.clients, prefix=f"floor{os.getpid()}_")
    env = Environment(database_url=url, jwt_secret=database.jwt_secret(), redis_url="", workdir=workdir)
    server = start_server(FLOOR, env)
    try:
        _run(args, server, [trader.token for trader in traders])
    finally:
        server.stop()
    return 0


def _run(args: argparse.Namespace, server, tokens: list[str]) -> None:
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(token: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.ports[0], timeout=60)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        for _ in range(args.requests):
            sent = time.perf_counter()
            conn.request("POST", "/bench/floor", body="{}", headers=headers)
            response = conn.getresponse()
            body = response.read()
            with lock:
                latencies.append((time.perf_counter() - sent) * 1000)
                if response.status != 201:
                    failures.append(f"{response.status} {body[:120]!r}")
        conn.close()

    _warm(server, tokens[0])
    print(f"{args.clients} clients x {args.requests} POST /bench/floor (load average {load_average()}) ...", flush=True)
    threads = [threading.Thread(target=client, args=(token,)) for token in tokens]
    cpu_before, started = cpu_seconds(server), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed, server_cpu = time.perf_counter() - started, cpu_seconds(server) - cpu_before
    count = len(latencies)
    figures = summary(sorted(latencies))
    print(f"requests/s: {count / elapsed:.1f}; latency p50 {figures['p50']:.0f} ms, p99 {figures['p99']:.0f} ms; "
          f"server CPU {100 * server_cpu / elapsed:.0f} % of a core, {1000 * server_cpu / count:.2f} ms per request; "
          f"failures: {len(failures)} {failures[:3]}")


def _warm(server, token: str) -> None:
    """A few requests first: the server's lazy start-up (imports, the pool's connections) is not counted."""
    conn = http.client.HTTPConnection("127.0.0.1", server.ports[0], timeout=60)
    for _ in range(20):
        conn.request("POST", "/bench/floor", body="{}", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        conn.getresponse().read()
    conn.close()


if __name__ == "__main__":
    raise SystemExit(main())
