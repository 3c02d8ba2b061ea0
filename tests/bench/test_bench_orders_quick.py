"""The order benchmark runs end to end in a tiny configuration: every figure printed and written, every
event its orders caused delivered once and in order (no timing asserted).

SQLite when DATABASE_URL is unset (a fresh clone); otherwise a throwaway database on DATABASE_URL's
PostgreSQL server, with pgbench and the peak connection count as well.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import postgres
from bench.orders.report import rows

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def database_argument() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return postgres.with_database(url, "") if postgres.is_postgres(url) else "sqlite"


def test_tiny_order_bench_prints_every_figure_and_delivers_every_event(tmp_path):
    figures = tmp_path / "figures.json"
    database = database_argument()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    run = subprocess.run(
        [sys.executable, "-m", "bench", "orders", "--clients", "2", "--orders", "6", "--markets", "1,2",
         "--database-url", database, "--pgbench-seconds", "1", "--json", str(figures)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=170,
    )
    assert run.returncode == 0, run.stdout + run.stderr

    written = json.loads(figures.read_text())
    assert [s["markets"] for s in written["scenarios"]] == [1, 2]
    for result in written["scenarios"]:
        assert result["http"]["created_201"] == result["orders_sent"] == 12
        assert result["http"]["server_errors_5xx"] == 0
        assert result["http"]["connections_opened"] == 2  # one keep-alive connection per trader
        assert result["events"]["passed"] and result["events"]["received"] == result["events"]["expected"] > 0
        assert result["trades"] > 0 and result["orders_per_s"] > 0
        for figure in ("rest_ms", "order_created_ms", "trade_executed_ms"):
            assert result[figure]["count"] > 0 and result[figure]["p50"] <= result[figure]["p99"], figure
        for label, value in rows(result):
            assert label in run.stdout and value in run.stdout
        assert f"{result['markets']} market(s): every event arrived once, in order" in run.stdout
    statements = written["sql_statements"]
    assert statements["filling"] > statements["resting"] > 0
    assert statements["request_resting"] > statements["resting"] and statements["request_filling"] > statements["filling"]
    assert f"per order that rests: {statements['resting']}; per order that fills once: {statements['filling']}" in run.stdout
    assert "pgbench -N simple-update TPS" in run.stdout
    if written["database"] == "sqlite":
        assert "note: SQLite run; the peak database connections and pgbench figures need PostgreSQL" in run.stdout
    else:
        assert all(s["db_connections_peak"] > 0 for s in written["scenarios"])
        assert written["pgbench"]["tps"] or written["pgbench"]["note"]
