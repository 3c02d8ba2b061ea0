"""Real daphne processes for end-to-end tests, serving the test database of this pytest run.

Use the fixtures from any test module (import them, or place the module in tests/e2e/):

    from tests.e2e.server import daphne, daphne_redis, daphne_servers  # noqa: F401

    @pytest.mark.e2e
    @pytest.mark.django_db(transaction=True)   # daphne sees only committed data
    async def test_something(daphne):
        async with websockets.connect(daphne.ws_url) as socket: ...

`daphne` serves on the in-process channel layer, `daphne_redis` on Redis (failing in CI, skipping
elsewhere, when Redis is unreachable). `daphne_servers.get(...)` starts more: another process on the
same Redis, or one with small protocol limits, e.g. `env={"CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT": "2"}`.
Each server starts once per test module and stops when the module is done, or when a server on
another channel layer is asked for (all servers of a module share one layer, as in production).
"""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0
# daphne's own message limit, as `make serve` sets it (Makefile WS_TRANSPORT_LIMIT).
TRANSPORT_LIMIT = ["--websocket-max-message-size", "2097152", "--websocket-max-frame-size", "2097152"]


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/ws"

    def log(self) -> str:
        """What the server wrote so far (for assertion messages)."""
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


SERVER_APP_NAME = "cdx-e2e-daphne"
# Every daphne this pytest process started: a server left running after its module would go on running its
# background jobs on the test database, taking the job leases and locks that later tests need
# (tests/conftest.py fails the module that leaves one).
started: list[subprocess.Popen] = []


def leftovers_stopped() -> list[list[str]]:
    """Kill every daphne started so far that still runs, forget them all; the command lines of those killed."""
    left = [process for process in started if process.poll() is None]
    started.clear()
    for process in left:
        process.kill()
        process.wait(timeout=10)
    return [list(process.args) for process in left]  # type: ignore[arg-type]  # started with a list of arguments


def database_url() -> str:
    """The URL of the database this test run uses (the test database once pytest-django set it up)."""
    db = connection.settings_dict
    engine = db["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("the SQLite test database must be a file for daphne to open it (settings TEST NAME)")
        return f"sqlite:///{name}"
    if engine == "django.db.backends.postgresql":
        user = quote(db.get("USER") or "", safe="")
        password = quote(db.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        # Named, so a test can tell the servers' sessions from its own in pg_stat_activity.
        return f"postgres://{credentials}{host}:{port}/{quote(db['NAME'], safe='')}?application_name={SERVER_APP_NAME}"
    raise RuntimeError(f"no DATABASE_URL for engine {engine}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(*, redis_url: str | None = None, env: dict[str, str] | None = None, log_dir: Path, port: int | None = None) -> Server:
    """Start daphne on `port` (default: a free one) against the test database, and wait until it accepts connections."""
    port = port or free_port()
    child_env = {key: value for key, value in os.environ.items() if not key.startswith("CDX_WS_")}
    child_env.pop("REDIS_URL", None)
    child_env.update(
        DATABASE_URL=database_url(),
        DJANGO_SETTINGS_MODULE="cantondex.settings",
        CDX_IN_PROCESS_JOBS="1",  # a server runs its background jobs, as in production
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        child_env["REDIS_URL"] = redis_url
    child_env.update(env or {})
    log_path = log_dir / f"daphne-{port}.log"
    daphne = str(Path(sys.executable).with_name("daphne"))
    endpoint = f"tcp:{port}:interface=127.0.0.1:backlog=1024"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [daphne, "-e", endpoint, *TRANSPORT_LIMIT, *protocol_ping(child_env), "cantondex.asgi:application"],
            cwd=ROOT,
            env=child_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    started.append(process)
    server = Server(port=port, process=process, log_path=log_path, env=child_env)
    _wait_until_listening(server)
    return server


def protocol_ping(env: dict[str, str]) -> list[str]:
    """daphne's RFC 6455 ping flags, from the variables the gateway reads too (as `make serve` passes them)."""
    interval = env.get("CDX_WS_PROTOCOL_PING_INTERVAL_S", "20")
    timeout = env.get("CDX_WS_PROTOCOL_PING_TIMEOUT_S", "30")
    return ["--ping-interval", interval, "--ping-timeout", timeout]


def _wait_until_listening(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"daphne exited with {server.process.returncode}:\n{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)  # polling a port that is not open yet: there is nothing to wait on
    server.stop()
    raise RuntimeError(f"daphne did not listen on {server.port} within {START_TIMEOUT_S}s:\n{server.log()}")


class Servers:
    """The daphne processes of one test module, started on first use and kept for the module."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.running: dict[tuple, Server] = {}

    def get(self, *, redis_url: str | None = None, env: dict[str, str] | None = None, name: str = "") -> Server:
        """The server with this configuration; `name` tells apart several alike (two processes on one Redis)."""
        key = (redis_url, tuple(sorted((env or {}).items())), name)
        if any(other_redis_url != redis_url for other_redis_url, _, _ in self.running):
            # Every relay takes events from the one event log: servers on another channel layer would
            # take them away from this one's subscribers. As in production, all share one layer.
            self.stop_all()
        server = self.running.get(key)
        if server is None or server.process.poll() is not None:
            server = self.running[key] = start(redis_url=redis_url, env=env, log_dir=self.log_dir)
        return server

    def stop_all(self) -> None:
        for server in self.running.values():
            server.stop()
        self.running.clear()


@pytest.fixture(scope="module")
def daphne_servers(django_db_setup, tmp_path_factory):
    servers = Servers(tmp_path_factory.mktemp("daphne"))
    yield servers
    servers.stop_all()


@pytest.fixture
def daphne(daphne_servers) -> Server:
    """daphne on the in-process channel layer (one process)."""
    return daphne_servers.get()


@pytest.fixture
def daphne_redis(require_redis, daphne_servers) -> Server:
    """daphne on the Redis channel layer."""
    return daphne_servers.get(redis_url=require_redis)
