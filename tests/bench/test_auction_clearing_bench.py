"""The clearing benchmark runs as its command says and prints one row per allocation (no timing asserted)."""

import re
import subprocess
import sys
from pathlib import Path

from auctions.clearing import clear
from bench.auction_clearing import LOT, RESERVE, book, ladder_for

REPO = Path(__file__).resolve().parents[2]
ROW = re.compile(
    r"^\s+1,000  (?P<allocation>pro_rata|time_priority)\s+\d+\.\d{3}\s+0\.01s\s+[\d,]+  "
    r"(?P<price>[\d.]+)  (?P<volume>[\d.]+)  \d+  (ok|MISSED)$"
)


def test_the_benchmark_prints_a_row_per_allocation_with_the_books_clearing():
    run = subprocess.run([sys.executable, "-m", "bench.auction_clearing", "--bids", "1000", "--repeat", "1"],
                         cwd=REPO, capture_output=True, text=True, timeout=60)

    assert run.returncode == 0, run.stdout + run.stderr
    header, *rows = run.stdout.splitlines()
    assert header.split() == ["bids", "allocation", "seconds", "target", "bids/s", "price", "volume", "marginal"]
    found = [ROW.match(row) for row in rows]
    matches = [match for match in found if match is not None]
    assert len(matches) == len(rows), rows
    assert [m["allocation"] for m in matches] == ["pro_rata", "time_priority"]
    expected = clear(bids=book(1000), ladder=ladder_for(1000), reserve_price=RESERVE, lot_size=LOT)
    assert {(m["price"], m["volume"]) for m in matches} == {(str(expected.price), str(expected.volume))}
