"""The servers under test: the project (in-process or Redis channel layer) and the two baselines."""

import os
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from bench import processes

DAPHNE_BACKLOG = 1024  # daphne's default listen backlog stalls a connection storm


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    project: bool  # the project's own server (published to through streams.publishing.publish)
    redis: bool = False
    processes: int = 1  # daphne processes on one Redis, the clients spread evenly over them
    app: str = "cantondex.asgi:application"  # what daphne serves for the project's targets
    server: str = "daphne"  # the ASGI server that runs the application (SERVERS)

    def argv(self, port: int, gc_log: Path) -> list[str]:
        """The server's command, under bench.gcprobe (its collector's pauses go to `gc_log`)."""
        probe = [str(processes.VENV_BIN / "python"), "-m", "bench.gcprobe", str(gc_log)]
        if self.name == "bare":
            return [*probe, "bench.baselines.bare_websockets", str(port)]
        app = "bench.baselines.naive_channels:application" if self.name == "naive" else self.app
        return [*probe, *SERVERS[self.server](app, port)]


def _uvicorn(app: str, port: int, ws: str) -> list[str]:
    return [
        "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--backlog", str(DAPHNE_BACKLOG), "--ws", ws,
        "--ws-per-message-deflate", "false", "--lifespan", "off", "--log-level", "warning", "--no-access-log",
    ]


# Each ASGI server as its module's command line: one process on 127.0.0.1, the listen backlog of a connection
# storm, no compression, no access log. The application has no lifespan handler.
SERVERS: dict[str, Callable[[str, int], list[str]]] = {
    "daphne": lambda app, port: ["daphne", "-e", f"tcp:{port}:interface=127.0.0.1:backlog={DAPHNE_BACKLOG}", app],
    "uvicorn-websockets": lambda app, port: _uvicorn(app, port, "websockets"),
    "uvicorn-wsproto": lambda app, port: _uvicorn(app, port, "wsproto"),
    # Granian serves from a worker process of its own (the figures of CPU and memory count both; the GC rows
    # only the parent's, which serves nothing).
    "granian": lambda app, port: [
        "granian", "--interface", "asginl", "--host", "127.0.0.1", "--port", str(port), "--backlog",
        str(DAPHNE_BACKLOG), "--workers", "1", "--log-level", "warning", "--no-access-log", app,
    ],
    "hypercorn": lambda app, port: [
        "hypercorn", "--bind", f"127.0.0.1:{port}", "--backlog", str(DAPHNE_BACKLOG), "--workers", "0",
        "--log-level", "warning", app,
    ],
}


TARGETS = {
    t.name: t
    for t in (
        Target("project", "project", project=True),
        Target("project-redis", "project (Redis)", project=True, redis=True),
        Target("project-redis-2", "project (Redis, 2 processes)", project=True, redis=True, processes=2),
        Target("naive", "naive Channels", project=False),
        Target("bare", "bare websockets", project=False),
        # The same project (in-process layer) under other ASGI servers: `--servers project,project-uvicorn-websockets,...`
        *(Target(f"project-{server}", f"project ({server})", project=True, server=server) for server in SERVERS if server != "daphne"),
    )
}

# What `make bench` runs unless --servers says otherwise: the other ASGI servers only when asked.
DEFAULT_TARGETS = ["project", "project-redis", "project-redis-2", "naive", "bare"]


@dataclass
class Environment:
    """What every process of one run shares: the database, the JWT key, Redis, extra settings."""

    database_url: str
    jwt_secret: str
    redis_url: str
    workdir: Path
    settings: dict[str, str] = field(default_factory=dict)  # CDX_* overrides for the project's server

    def for_target(self, target: Target) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
        env.update(
            PYTHONUNBUFFERED="1",
            DATABASE_URL=self.database_url,
            BENCH_JWT_SECRET=self.jwt_secret,
            CDX_IN_PROCESS_JOBS="0",
            CDX_LOG_LEVEL="WARNING",
        )
        if target.name != "naive":  # the naive baseline configures a minimal Django of its own
            env["DJANGO_SETTINGS_MODULE"] = "cantondex.settings"
        if target.project:
            env.update(self.settings)
        if target.redis:
            env["REDIS_URL"] = self.redis_url
        return env


@dataclass
class Server:
    target: Target
    procs: list[subprocess.Popen]
    ports: list[int]
    gc_logs: list[Path] = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [proc.pid for proc in self.procs]

    @property
    def urls(self) -> list[str]:
        return [f"ws://127.0.0.1:{port}/v1/ws" for port in self.ports]

    @property
    def publish_target(self) -> str:
        return "project" if self.target.project else f"ws://127.0.0.1:{self.ports[0]}/publish"

    def gc_pauses(self) -> dict[str, list[list[float]]]:
        """The collector's pauses ([wall ms, CPU ms] by generation) in every process since the previous call
        (bench.gcprobe)."""
        import json
        import signal

        pauses: dict[str, list[list[float]]] = {"0": [], "1": [], "2": []}
        for proc, gc_log in zip(self.procs, self.gc_logs, strict=True):
            gc_log.unlink(missing_ok=True)
            proc.send_signal(signal.SIGUSR1)
            deadline = time.monotonic() + 10
            while not gc_log.exists() and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.01)
            if gc_log.exists():
                for generation, durations in json.loads(gc_log.read_text()).items():
                    pauses[generation].extend(durations)
        return pauses

    def heap_snapshot(self):
        """The first process's heap now (a tracemalloc.Snapshot), when it traces allocations (--tracemalloc)."""
        import signal
        import tracemalloc

        heap = self.gc_logs[0].with_suffix(".heap")
        heap.unlink(missing_ok=True)
        self.procs[0].send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 60
        while not heap.exists() and time.monotonic() < deadline and self.procs[0].poll() is None:
            time.sleep(0.05)
        return tracemalloc.Snapshot.load(str(heap)) if heap.exists() else None

    def stop(self) -> None:
        for proc in self.procs:
            processes.stop(proc)


def start_server(target: Target, env: Environment, tag: str = "") -> Server:
    server = Server(target, [], [])
    for index in range(target.processes):
        port = processes.free_port()
        suffix = f"-{index}" if target.processes > 1 else ""
        log_path = env.workdir / f"server-{target.name}{tag}{suffix}.log"
        gc_log = env.workdir / f"server-{target.name}{tag}{suffix}.gc.json"
        proc = processes.start(target.argv(port, gc_log), env=env.for_target(target), log_path=log_path)
        server.procs.append(proc)
        server.ports.append(port)
        server.gc_logs.append(gc_log)
        processes.wait_for_port(port, proc, log_path)
    return server


def redis_unreachable(url: str) -> str | None:
    """Why the Redis run cannot happen, or None when Redis answers a PING."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            sock.settimeout(1)
            answer = sock.recv(64)
    except OSError as error:
        return f"Redis is unreachable at {host}:{port} ({error})"
    if not answer.startswith((b"+PONG", b"-NOAUTH")):
        return f"{host}:{port} did not answer PING like Redis ({answer[:40]!r})"
    return None


class Publisher:
    """The bench.publisher process for one server."""

    def __init__(self, server: Server, env: Environment):
        import json

        self._json = json
        self.log_path = env.workdir / f"publisher-{server.target.name}.log"
        self.proc = processes.start(
            [str(processes.VENV_BIN / "python"), "-m", "bench.publisher", server.publish_target],
            env=env.for_target(server.target),
            log_path=self.log_path,
            piped=True,
        )
        self._read(time.monotonic() + 30)

    def _read(self, deadline: float) -> dict:
        import select

        assert self.proc.stdout is not None  # started piped
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if ready:
                line = self.proc.stdout.readline()
                if not line:
                    break
                return self._json.loads(line)
        raise RuntimeError(f"the publisher did not answer in time:\n{processes.tail(self.log_path)}")

    def run(self, command: dict, timeout: float) -> dict:
        assert self.proc.stdin is not None  # started piped
        self.proc.stdin.write(self._json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return self._read(time.monotonic() + timeout)

    def close(self) -> None:
        processes.stop(self.proc)
