"""CPU time per order through the whole gateway, in one process, independent of the machine's load:

    python -m bench.orders.cpu_profile [--orders 300] [--database-url URL] [--profile] [--top 25]

The ASGI application (`cantondex.asgi:application`, what daphne serves) runs in this process on
PostgreSQL: `POST /v1/orders` goes through Channels' HttpCommunicator (every middleware, DRF, JWT
authentication, the view, the service, the answer), and two traders each hold a WebSocket (a
WebsocketCommunicator: JWT auth, subscribed to their `orders` and `trades`), so the relay's reads
of the event log and the hub's fan-out are counted too. Orders alternate as the order benchmark's
do: one trader sells at 101 (rests), the other buys at 101 (fills it), one at a time; each waits for
its `order_created` on its socket before the next is sent.

It prints CPU milliseconds per order (time.process_time of the whole process, every thread, over the
measured orders after an uncounted warm-up; the min and median of `--rounds`: other processes on the
machine still slow a core's caches, so take the min) and wall milliseconds per order. Not counted: daphne's
own HTTP and WebSocket parsing (the communicators hand ASGI messages over directly), and PostgreSQL's
CPU (another process). `--profile` runs everything under cProfile in every thread (the request threads,
the ORM thread the relay reads on, the event loop), timed by each thread's CPU clock, and prints the top
functions of the measured orders by cumulative and by own time (the CPU figure then includes the
profiler's own cost, several times the real one: run without it for the figure); the raw stats are
written to `--stats FILE` (pstats format) when given.

`--database-url` names a database to use as it is (e.g. postgres://postgres@127.0.0.1:5432/mine);
one that names only a server gets a throwaway database, dropped at the end (the default, on the
local server).
"""

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import postgres

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
WARMUP_ORDERS = 40
EVENT_TIMEOUT_S = 10.0


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.orders.cpu_profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300, help="measured orders (default 300), after a warm-up")
    parser.add_argument("--rounds", type=int, default=3, help="measure this many times (default 3): min and median")
    parser.add_argument("--database-url", default=DEFAULT_SERVER, help="PostgreSQL server or database")
    parser.add_argument("--floor", action="store_true", help="measure POST /bench/floor instead (bench/orders/floor.py)")
    parser.add_argument("--profile", action="store_true", help="also run the orders again under cProfile")
    parser.add_argument("--stats", type=Path, help="write the cProfile stats here (pstats format)")
    parser.add_argument("--top", type=int, default=25, help="functions listed per table (default 25)")
    args = parser.parse_args(argv)
    if args.stats and not args.profile:
        parser.error("--stats writes the cProfile stats: it needs --profile")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    with postgres.database_for_run(args.database_url, "cdx_cpu_profile_") as url, tempfile.TemporaryDirectory(prefix="cdx-cpu-profile-") as workdir:
        _configure(url, Path(workdir))
        return asyncio.run(_run(args))


def _configure(url: str, workdir: Path) -> None:
    from bench.database import configure, migrate

    os.environ["CDX_MEDIA_ROOT"] = str(workdir)
    os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1"  # DEBUG off allows no host unless told
    configure(url, workdir, pool=True)  # as the server runs: its connections come from the pool
    migrate(sqlite=False)


async def _run(args: argparse.Namespace) -> int:
    from channels.db import database_sync_to_async

    from bench.orders.traders import markets_create, traders_create

    # On from the start: a thread started before the profiler (the ORM's thread of database_sync_to_async,
    # which the relay reads on) would never be profiled. What the warm-up recorded is cleared.
    profiler = _ThreadProfiles() if args.profile else None
    if profiler:
        profiler.start()
    prefix = f"P{secrets.token_hex(3).upper()}"

    def setup():
        symbol = markets_create(prefix=prefix, count=1)[0]
        return symbol, traders_create(prefix=prefix.lower(), count=2, bases=[symbol.split("/")[0]])

    symbol, (seller, buyer) = await database_sync_to_async(setup)()
    from cantondex.asgi import application

    if args.floor:
        from django.conf import settings

        settings.ROOT_URLCONF = "bench.orders.floor"
        sockets: list = [None, None]
        post: _Poster = _FloorPoster(application, symbol)
    else:
        sockets = [await _Socket.open(application, trader) for trader in (seller, buyer)]
        post = _Poster(application, symbol)
    for number in range(WARMUP_ORDERS):
        await post.order(seller if number % 2 == 0 else buyer, sockets[number % 2])
    if profiler:
        profiler.clear()
    rounds = [await _measure(args.orders, post, (seller, buyer), sockets) for _ in range(1 if profiler else args.rounds)]
    if profiler:
        profiler.stop()
    under = " under cProfile" if profiler else ""
    if args.floor:
        print("POST /bench/floor (JWT authentication, one INSERT; bench/orders/floor.py), not orders:")
    print(f"orders: {args.orders} per round, {len(rounds)} round(s) (one trader's sell rests, the other's buy fills it; "
          f"after {WARMUP_ORDERS} warm-up orders)")
    for name, index in (("CPU", 0), ("wall", 1)):
        per_order = sorted(measured[index] * 1000 / args.orders for measured in rounds)
        print(f"{name} per order{under}: min {per_order[0]:.2f} ms, median {statistics.median(per_order):.2f} ms"
              f"{' (time.process_time, whole process)' if index == 0 else ''}")
    if profiler:
        stats = profiler.stats()
        if args.stats:
            stats.dump_stats(args.stats)
        for key in ("cumulative", "tottime"):
            out = io.StringIO()
            setattr(stats, "stream", out)  # noqa: B010 (print_stats writes there; typeshed does not declare it)
            stats.sort_stats(key).print_stats(args.top)
            print(f"\n--- cProfile, all threads, CPU time, sorted by {key} (for {args.orders} orders) ---")
            print(_trimmed(out.getvalue()))
    for socket in sockets:
        if socket:
            await socket.close()
    return 0


async def _measure(count: int, post: "_Poster", traders: tuple, sockets: list) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for number in range(count):
        await post.order(traders[number % 2], sockets[number % 2])
    return time.process_time() - cpu, time.perf_counter() - wall


def _trimmed(text: str) -> str:
    """pstats' table without its preamble, paths shortened to the project or the library."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    root = str(Path(__file__).resolve().parents[2]) + os.sep
    return "\n".join(
        line.replace(root, "").replace(sys.prefix + "/lib/python3.11/site-packages/", "") for line in lines[start:]
    )


class _Poster:
    path = "/v1/orders"

    def __init__(self, application, symbol: str):
        self.application, self.symbol = application, symbol

    async def order(self, trader, socket: "_Socket") -> None:
        side = "sell" if socket.index == 0 else "buy"
        body = json.dumps({"symbol": self.symbol, "side": side, "order_type": "limit", "quantity": 1, "price": 101})
        response = await self.post(trader, body)
        await socket.wait_created(json.loads(response["body"])["order_id"])

    async def post(self, trader, body: str) -> dict:
        from channels.testing import HttpCommunicator

        headers = [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Bearer {trader.token}".encode()),
        ]
        communicator = HttpCommunicator(self.application, "POST", self.path, body.encode(), headers)
        response = await communicator.get_response(timeout=EVENT_TIMEOUT_S)
        await communicator.wait(EVENT_TIMEOUT_S)  # the request's end (its connection back to the pool), as under daphne
        if response["status"] != 201:
            raise RuntimeError(f"POST {self.path}: {response['status']} {response['body'][:300]!r}")
        return response


class _FloorPoster(_Poster):
    path = "/bench/floor"

    async def order(self, trader, socket) -> None:
        await self.post(trader, "{}")


class _Socket:
    opened = 0

    def __init__(self, communicator, index: int):
        self.communicator, self.index = communicator, index

    @classmethod
    async def open(cls, application, trader) -> "_Socket":
        from channels.testing import WebsocketCommunicator

        communicator = WebsocketCommunicator(application, "/v1/ws")
        connected, _ = await communicator.connect()
        if not connected:
            raise RuntimeError("the WebSocket was refused")
        socket = cls(communicator, cls.opened)
        cls.opened += 1
        await socket.send({"type": "auth", "token": trader.token})
        await socket.expect("auth_response", "authenticated")
        await socket.send({"type": "subscribe", "channels": [
            {"channel": "orders", "account_id": trader.account_id},
            {"channel": "trades", "account_id": trader.account_id},
        ]})
        for _ in range(2):
            await socket.expect("subscription_response", "subscribed")
        return socket

    async def send(self, message: dict) -> None:
        await self.communicator.send_to(text_data=json.dumps(message))

    async def next(self) -> dict:
        message = json.loads(await self.communicator.receive_from(timeout=EVENT_TIMEOUT_S))
        if message.get("type") == "ping":  # the protocol closes a socket that stays silent after a ping
            await self.send({"type": "pong", "timestamp": message.get("timestamp")})
        return message

    async def expect(self, kind: str, status: str) -> None:
        while (message := await self.next()).get("type") != kind:
            pass
        if message.get("status") != status:
            raise RuntimeError(f"{kind}: {message}")

    async def wait_created(self, order_id: str) -> None:
        while True:
            message = await self.next()
            if message.get("type") == "order_created" and message.get("order_id") == order_id:
                return

    async def close(self) -> None:
        await self.communicator.disconnect()


def _cpu_profile() -> cProfile.Profile:
    """Times are the thread's CPU time, not the wall clock: waiting on PostgreSQL or on the event loop's
    poll counts nothing, as in CPU ms per order."""
    return cProfile.Profile(time.thread_time_ns, 1e-9)


class _ThreadProfiles:
    """cProfile in every thread: this one and each thread started while it is on (Django's ASGI handler
    runs each request's sync code on a thread of its own)."""

    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []
        self._lock = threading.Lock()

    def _start_in_thread(self, *_) -> None:
        sys.setprofile(None)
        profile = _cpu_profile()
        with self._lock:
            self.profiles.append(profile)
        profile.enable()

    def start(self) -> None:
        threading.setprofile(self._start_in_thread)
        self._start_in_thread()

    def clear(self) -> None:
        """Forget what was recorded so far (the other threads are idle between orders)."""
        with self._lock:
            for profile in self.profiles:
                profile.clear()

    def stop(self) -> None:
        threading.setprofile(None)
        with self._lock:
            for profile in self.profiles:
                profile.disable()  # in another thread this only stops collecting: its stats are read below

    def stats(self) -> pstats.Stats:
        with self._lock:
            profiles = list(self.profiles)
        stats = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            try:
                stats.add(profile)
            except TypeError:  # a thread that recorded nothing
                continue
        return stats


if __name__ == "__main__":
    raise SystemExit(main())
