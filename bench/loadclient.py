"""Drives the Node load-client workers (bench/client.js) and merges what they report."""

import json
import math
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path

from bench import processes

BENCH_DIR = Path(__file__).resolve().parent
CLIENTS_PER_WORKER = 2500
CONNECT_TIMEOUT_MS = 60_000  # connect + auth + subscribe of one client, queueing included


def ensure_node_modules() -> None:
    if (BENCH_DIR / "node_modules" / "ws").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise RuntimeError("the load client needs Node.js and npm on the PATH")
    subprocess.run([npm, "ci", "--prefix", str(BENCH_DIR), "--no-audit", "--no-fund"], check=True, timeout=300)


class Worker:
    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None  # started piped
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, command: dict) -> None:
        assert self.proc.stdin is not None  # started piped
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def reply(self, deadline: float) -> dict:
        try:
            return json.loads(self.lines.get(timeout=max(0.1, deadline - time.monotonic())))
        except queue.Empty:
            raise RuntimeError("a load-client worker did not answer in time") from None


class LoadClient:
    """N WebSocket clients spread over ceil(N / 2,500) Node processes (at least one per server URL)."""

    def __init__(self, *, urls: list[str], clients: list[dict], symbol: str, concurrency: int, workdir: Path, name: str):
        self.workers: list[Worker] = []
        count = max(len(urls), math.ceil(len(clients) / CLIENTS_PER_WORKER))
        size = math.ceil(len(clients) / count)
        for index in range(count):
            config = {
                "url": urls[index % len(urls)],
                "clients": clients[index * size : (index + 1) * size],
                "symbol": symbol,
                "concurrency": max(1, concurrency // count),
                "connectTimeoutMs": CONNECT_TIMEOUT_MS,
            }
            config_path = workdir / f"client-{name}-{index}.json"
            config_path.write_text(json.dumps(config))
            proc = processes.start(
                ["node", str(BENCH_DIR / "client.js"), str(config_path)],
                env={"PATH": "/usr/local/bin:/usr/bin:/bin"},
                log_path=workdir / f"client-{name}-{index}.log",
                piped=True,
            )
            self.workers.append(Worker(proc))
        self._collect(time.monotonic() + 30)  # "ready"

    @property
    def pids(self) -> list[int]:
        return [worker.proc.pid for worker in self.workers]

    def _broadcast(self, command: dict) -> None:
        for worker in self.workers:
            worker.send(command)

    def _collect(self, deadline: float) -> list[dict]:
        return [worker.reply(deadline) for worker in self.workers]

    def connect(self, timeout: float = 120) -> dict:
        """All clients connect, authenticate and subscribe at once (`concurrency` handshakes in flight)."""
        self._broadcast({"cmd": "connect"})
        replies = self._collect(time.monotonic() + timeout)
        start = min(r["startMs"] for r in replies)
        end = max(r["startMs"] + r["wallMs"] for r in replies)
        errors: dict[str, int] = {}
        for r in replies:
            for error, n in r["errors"].items():
                errors[error] = errors.get(error, 0) + n
        return {
            "ok": sum(r["ok"] for r in replies),
            "failed": sum(r["failed"] for r in replies),
            "errors": errors,
            "seconds": (end - start) / 1000,
            "cpu_seconds": sum(r["cpuMs"] for r in replies) / 1000,
        }

    def expect(self, count: int, timeout_s: float) -> None:
        """Start counting: each open client should now receive `count` market events. Returns once counting has begun."""
        self._broadcast({"cmd": "expect", "count": count, "timeoutMs": int(timeout_s * 1000)})
        self._collect(time.monotonic() + 30)

    def received(self, timeout_s: float) -> dict:
        replies = self._collect(time.monotonic() + timeout_s + 30)
        latencies = sorted(x for r in replies for x in r["latencies"])
        return {
            "clients": sum(r["clients"] for r in replies),
            "complete": sum(r["complete"] for r in replies),
            "received": sum(r["received"] for r in replies),
            "gaps": sum(r["gaps"] for r in replies),
            "first_at_ms": min((r["firstAt"] for r in replies if r["firstAt"]), default=0),
            "last_at_ms": max(r["lastAt"] for r in replies),
            "latencies_ms": latencies,
            "cpu_seconds": sum(r["cpuMs"] for r in replies) / 1000,
            "wall_seconds": max(r["wallMs"] for r in replies) / 1000,
        }

    def hold(self, seconds: float) -> dict:
        self._broadcast({"cmd": "hold", "ms": int(seconds * 1000)})
        replies = self._collect(time.monotonic() + seconds + 30)
        closed: dict[str, int] = {}
        for r in replies:
            for code, n in r["closed"].items():
                closed[code] = closed.get(code, 0) + n
        return {
            "open": sum(r["open"] for r in replies),
            "pongs": sum(r["pongs"] for r in replies),
            "closed": closed,
            "cpu_seconds": sum(r["cpuMs"] for r in replies) / 1000,
        }

    def close(self) -> None:
        for worker in self.workers:
            try:
                worker.send({"cmd": "close"})
            except (BrokenPipeError, ValueError):
                pass
        for worker in self.workers:
            try:
                worker.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            processes.stop(worker.proc)

