"""The benchmark runs end to end in its quick mode: every figure printed, every event delivered (no timing asserted)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import rows

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]


@pytest.fixture
def node():
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("the benchmark's load client needs Node.js and npm")


def quick_bench(tmp_path: Path, *options: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """`python -m bench --quick` with 20 clients and a one-second steady phase, on its own throwaway database
    and Redis: what it printed and the figures it wrote."""
    figures = tmp_path / "figures.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--clients", "20", "--steady-seconds", "1", "--json", str(figures), *options],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=50,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run, json.loads(figures.read_text())["results"]


def test_quick_bench_prints_every_figure_and_delivers_every_event(node, tmp_path):
    run, results = quick_bench(tmp_path, "--servers", "project,bare")
    assert [r["target"] for r in results] == ["project", "bare"]
    for result in results:
        assert result["storm"]["ok"] == 20
        for phase in ("burst", "steady"):
            assert result[phase]["received"] == result[phase]["expected"] > 0, (result["label"], phase)
            assert result[phase]["gaps"] == 0
        for label, value in rows(result):
            assert label in run.stdout
            assert value in run.stdout
    assert "project / bare websockets, burst deliveries/s" in run.stdout
    assert "p99 at" in run.stdout and "connect+auth+subscribe" in run.stdout and "RSS per idle connection" in run.stdout


def test_quick_bench_with_every_socket_signed_in_as_one_trader(node, tmp_path):
    run, [result] = quick_bench(tmp_path, "--servers", "project", "--one-user")
    assert result["storm"]["ok"] == 20  # past the default limit of 10 sockets per account
    gc = result["storm"]["gc"]  # the probe reported each generation, and the counts add up
    assert set(gc["by_generation"]) == {"0", "1", "2"}
    assert gc["collections"] == sum(generation["n"] for generation in gc["by_generation"].values())
    assert result["steady"]["received"] == result["steady"]["expected"] > 0
    assert "signed in as one trader" in run.stdout
