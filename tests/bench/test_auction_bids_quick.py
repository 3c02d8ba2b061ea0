"""The auction bidding benchmark runs end to end in a tiny configuration: every bid accepted, every new_bid
delivered to every follower once and in order, every figure printed (no timing asserted)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.ci import required_in_ci

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_tiny_auction_bench_accepts_every_bid_and_delivers_each_to_every_follower(tmp_path):
    required_in_ci(shutil.which("node") is not None and shutil.which("npm") is not None, "the load client needs Node.js and npm")
    figures = tmp_path / "figures.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    run = subprocess.run(
        [sys.executable, "-m", "bench", "auctions", "--followers", "3", "--bidders", "2", "--bids", "10", "--json", str(figures)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=110,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr

    written = json.loads(figures.read_text())
    assert (written["accepted"], written["outcomes"], written["followers_connected"]) == (10, {"bid_accepted": 10}, 3)
    assert (written["deliveries"], written["followers_complete"], written["gaps"]) == (30, 3, 0)
    assert written["bids_per_s"] > 0 and written["submit_ms"]["p50"] <= written["submit_ms"]["p99"]
    assert 0 <= written["delivery_ms"]["p50"] <= written["delivery_ms"]["p99"] <= written["delivery_ms"]["max"]
    assert f"bids accepted: 10 of 10 {{'bid_accepted': 10}} in {written['seconds']:.2f} s" in run.stdout
    assert "new_bid to 3 followers: 30 deliveries" in run.stdout and "3 followers got every bid, 0 gaps" in run.stdout
    assert "new_bid delivery delay: p50" in run.stdout
