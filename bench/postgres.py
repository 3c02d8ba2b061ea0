"""PostgreSQL around a benchmark run: a throwaway database, the connections the server holds on it,
and pgbench's simple-update TPS on the same server as the physical reference of the run."""

import re
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

MAINTENANCE_DATABASE = "postgres"
POLL_INTERVAL_S = 0.1


def is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in ("postgres", "postgresql", "pgsql")


def names_database(url: str) -> bool:
    """True when the URL names a database (used as it is) rather than only a server (a throwaway one is made)."""
    return urlsplit(url).path.strip("/") != ""


def database_name(url: str) -> str:
    return urlsplit(url).path.strip("/")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _connect(server_url: str):
    import psycopg

    return psycopg.connect(with_database(server_url, MAINTENANCE_DATABASE), autocommit=True, connect_timeout=10)


def database_create(server_url: str, prefix: str) -> str:
    """A new, empty database on the server of `server_url`; returns its URL."""
    from psycopg import sql

    name = f"{prefix}{uuid.uuid4().hex[:8]}"
    with _connect(server_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(server_url, name)


def database_drop(url: str) -> None:
    from psycopg import sql

    with _connect(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(url))))


@contextmanager
def database_for_run(url: str, prefix: str) -> Iterator[str]:
    """The database a run uses: the one `url` names (or SQLite), as it is, else a throwaway one on the server
    `url` names, dropped at the end once this process's Django connections to it are closed."""
    if not is_postgres(url) or names_database(url):
        yield url
        return
    throwaway = database_create(url, prefix)
    try:
        yield throwaway
    finally:
        from django.db import connections

        connections.close_all()
        database_drop(throwaway)


class ConnectionPeak:
    """Polls pg_stat_activity from the benchmark's own process (its own connection, to the maintenance
    database, so not counted) and keeps the highest number of client connections open on one database
    (autovacuum workers, which show up there too, are not clients). `exclude_pids`: backends of the
    benchmark's own process on that database, not the server's."""

    def __init__(self, url: str, exclude_pids: list[int]):
        self.database = database_name(url)
        self.exclude_pids = [pid for pid in exclude_pids if pid is not None]
        self.peak = 0
        self.samples = 0
        self._conn = _connect(url)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="pg-connection-peak", daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            (count,) = self._conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend' AND NOT pid = ANY(%s)",
                [self.database, self.exclude_pids],
            ).fetchone()
            self.peak = max(self.peak, count)
            self.samples += 1
            self._stop.wait(POLL_INTERVAL_S)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        self._conn.close()
        return self.peak


def pgbench_tps(server_url: str, *, clients: int, seconds: int, threads: int) -> dict:
    """`pgbench -N` (simple update: no contended branch/teller rows) on a scratch database it creates and drops."""
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        return {"tps": None, "note": "pgbench is not on the PATH"}
    url = database_create(server_url, "cdx_pgbench_")
    try:
        subprocess.run([pgbench, "-i", "-q", "-s", "1", url], check=True, capture_output=True, text=True, timeout=120)
        run = subprocess.run(
            [pgbench, "-N", "-n", "-c", str(clients), "-j", str(threads), "-T", str(seconds), url],
            capture_output=True, text=True, timeout=seconds + 60,
        )
    finally:
        database_drop(url)
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", run.stdout)
    if run.returncode != 0 or found is None:
        return {"tps": None, "note": f"pgbench failed: {(run.stderr or run.stdout).strip()[-300:]}"}
    return {"tps": float(found.group(1)), "clients": clients, "threads": threads, "seconds": seconds, "note": ""}
