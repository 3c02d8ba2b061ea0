"""Node for the JavaScript clients the suite runs against real daphne: required in CI, skipped elsewhere."""

import shutil
from pathlib import Path

import pytest

from tests.support.ci import required_in_ci

JS_DIR = Path(__file__).resolve().parents[1] / "js"


def node_requiring(path: Path, missing: str) -> str:
    """The node executable, once `path` (what the test runs with it) is there too; `missing` says how to get it."""
    executable = shutil.which("node")
    required_in_ci(executable is not None, "node is not installed")
    required_in_ci(path.exists(), missing)
    assert executable is not None  # required_in_ci failed or skipped otherwise
    return executable


@pytest.fixture
def node() -> str:
    """Node and the pinned ws package (tests/js), for the seeds' JavaScript clients."""
    return node_requiring(
        JS_DIR / "node_modules" / "ws", "the ws package is not installed (npm ci --prefix tests/js, which make test runs)"
    )
