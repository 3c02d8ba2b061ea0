"""What some tests need from outside Python (Redis, chromium, PostgreSQL, Node): CI must have it, so there its
absence fails the test; elsewhere the test is skipped, saying what is missing."""

import os

import pytest

IN_CI = bool(os.environ.get("CI"))


def required_in_ci(available: bool, missing: str) -> None:
    """Go on when `available`; otherwise fail in CI and skip elsewhere, with `missing` as the reason."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{missing} (CI is set: it is required)")
    pytest.skip(missing)
