"""A real browser (Debian's Chromium, driven by Playwright) against the real stack."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.browser.stack import CHROMIUM

CHROMIUM_INSTALLED = Path(CHROMIUM).exists()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM_INSTALLED:
        pytest.fail(
            f"{CHROMIUM} is missing: `make setup` installs Debian's chromium (apt-get install chromium)"
        )
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A desktop-sized tab of its own, closed after the test."""
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    tab = await context.new_page()
    yield tab
    await context.close()
