"""Two daphne processes on a Redis server of their own, with faults on demand.

    from tests.e2e.cluster import cluster  # noqa: F401  (fixture)

    @pytest.mark.e2e
    @pytest.mark.django_db(transaction=True)
    async def test_something(cluster):
        cluster.a.ws_url, cluster.b.base_url      # the two gateway processes
        cluster.kill(cluster.a)                   # SIGKILL, as a crash
        cluster.terminate(cluster.a)              # SIGTERM, as in a rolling restart (the process drains)
        cluster.redis_stop(); cluster.redis_start()  # same port, nothing persisted

The Redis server is started here on a free port (`redis-server --save "" --appendonly no`), never the
machine's: stopping it must not disturb other suites. Both servers share the test database, as
production processes share PostgreSQL, and run their job threads (the lease lets one run the jobs).
The cluster lives for the test module; `cluster` hands it to each test healed: a killed process is
started again (on a new port) and a stopped Redis is started. Every wait is bounded.
"""

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e import server as daphne_server
from tests.e2e.server import Server, free_port
from tests.support.ci import required_in_ci

REDIS_START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0

# Small enough to test the cluster-wide limit with a few sockets; replay window as documented.
CLUSTER_ENV = {"CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT": "3"}


def redis_server_binary() -> str:
    """The redis-server executable: tests fail in CI without it, and skip (saying why) elsewhere."""
    binary = shutil.which("redis-server")
    required_in_ci(binary is not None, "redis-server is not installed (the cluster tests start their own Redis)")
    assert binary is not None  # required_in_ci failed or skipped otherwise
    return binary


class RedisServer:
    """A throwaway redis-server on one port: stop and start it again, empty, as after a crash."""

    def __init__(self, binary: str, workdir: Path):
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        with open(self.workdir / f"redis-{self.port}.log", "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.workdir)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + REDIS_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode} (port {self.port})")
            if self._answers_ping():
                return
            time.sleep(0.02)  # polling a port that is not open yet: there is nothing to wait on
        self.stop()
        raise RuntimeError(f"redis-server did not answer on {self.port} within {REDIS_START_TIMEOUT_S}s")

    def stop(self) -> None:
        if self.process is not None and self.running:
            _end(self.process, signal.SIGTERM)

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as probe:
                probe.sendall(b"PING\r\n")
                return probe.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class Cluster:
    def __init__(self, log_dir: Path, env: dict[str, str]):
        self.log_dir = log_dir
        self.env = env
        self.redis = RedisServer(redis_server_binary(), log_dir)
        self.servers: list[Server] = []

    @property
    def a(self) -> Server:
        return self.servers[0]

    @property
    def b(self) -> Server:
        return self.servers[1]

    def start(self) -> None:
        self.redis.start()
        for _ in range(2):  # one at a time into the list: if the second fails to start, close() stops the first
            self.servers.append(self._start_server())

    def heal(self) -> None:
        """Redis up and both processes alive (a killed one is replaced by a new process)."""
        if not self.redis.running:
            self.redis.start()
        for index, server in enumerate(self.servers):
            if server.process.poll() is not None:
                self.servers[index] = self._start_server()

    def kill(self, server: Server) -> None:
        """SIGKILL: no close frames, no cleanup, as when a machine or process dies."""
        _end(server.process, signal.SIGKILL)

    def terminate(self, server: Server) -> None:
        """SIGTERM, as a supervisor stops a process in a rolling restart; returns at once (it drains)."""
        server.process.send_signal(signal.SIGTERM)

    def exit_code(self, server: Server) -> int:
        """Waits (bounded) for a terminated process to end; its exit status."""
        return server.process.wait(timeout=STOP_TIMEOUT_S * 2)

    def redis_stop(self) -> None:
        self.redis.stop()

    def redis_start(self) -> None:
        self.redis.start()

    def rss_kb(self, server: Server) -> int:
        """Resident memory of a daphne process, from /proc."""
        for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS in /proc status")

    def logs(self) -> str:
        """The tail of both servers' logs, for assertion messages."""
        return "\n".join(f"--- daphne :{s.port}\n{s.log()}" for s in self.servers)

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        self.redis.stop()

    def _start_server(self) -> Server:
        return daphne_server.start(redis_url=self.redis.url, env=self.env, log_dir=self.log_dir)


def _end(process: subprocess.Popen, sig: int) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture(scope="module")
def cluster_servers(django_db_setup, tmp_path_factory):
    """The module's cluster: Redis and two daphne processes, started once, stopped when the module is done."""
    running = Cluster(tmp_path_factory.mktemp("cluster"), CLUSTER_ENV)
    try:
        running.start()
        yield running
    finally:
        running.close()


@pytest.fixture
def cluster(cluster_servers) -> Cluster:
    """The cluster, healed of the previous test's faults."""
    cluster_servers.heal()
    return cluster_servers
