"""Node with the pinned `ws` package (tests/js), for running the seeds' JavaScript clients against real daphne."""

import shutil
from pathlib import Path

import pytest

from tests.support.ci import required_in_ci

JS_DIR = Path(__file__).resolve().parents[1] / "js"


@pytest.fixture
def node() -> str:
    """Node and the pinned ws package: required in CI, skipped with the reason elsewhere."""
    executable = shutil.which("node")
    required_in_ci(executable is not None, "node is not installed")
    required_in_ci(
        (JS_DIR / "node_modules" / "ws").is_dir(),
        "the ws package is not installed (npm ci --prefix tests/js, which make test runs)",
    )
    assert executable is not None  # required_in_ci failed or skipped otherwise
    return executable
