"""Debian's chromium driven by Playwright, for the page tests (required in CI, skipped elsewhere without it)."""

import shutil

import pytest

from tests.support.ci import required_in_ci

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 15_000
# Without the background-networking flags chromium keeps dialling out, and this machine has no network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def browser():
    required_in_ci(bool(shutil.which(CHROMIUM)), f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()
