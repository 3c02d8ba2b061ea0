"""Helpers of the compliance browser tests: an officer's login, a 1366x768 laptop window, layout facts, screenshots."""

from pathlib import Path

from asgiref.sync import sync_to_async

from tests.two_factor import login_code

PASSWORD = "correct-horse-1"  # tests.conftest make_user's default
LAPTOP = {"width": 1366, "height": 768}


async def officer_login(context, base_url: str, officer, next_path: str):
    """A page of `context` signed in as the officer (password and one-time code, as a person would) at next_path."""
    page = await context.new_page()
    await page.set_viewport_size(LAPTOP)
    await page.goto(f"{base_url}/admin/login/?next={next_path}")
    await page.fill("#id_username", officer.username)
    await page.fill("#id_password", PASSWORD)
    await page.fill("#id_otp_token", await sync_to_async(login_code)(officer))
    await page.click("input[type=submit]")
    await page.wait_for_url(f"**{next_path.split('?')[0]}*")
    return page


async def screenshot(page, tmp_path: Path, name: str) -> Path:
    """The window as the officer sees it, into the test's temporary folder (pytest keeps the last runs' for a look)."""
    path = tmp_path / f"{name}.png"
    await page.screenshot(path=str(path), full_page=False)
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
    return path


async def page_overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scroll)."""
    return await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


async def element_overflow(page, selector: str) -> int:
    return await page.eval_on_selector(selector, "e => e.scrollWidth - e.clientWidth")
