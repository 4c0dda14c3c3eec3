"""A real browser (Debian's Chromium, driven by Playwright) against the real stack.

Every test also checks that no page broke its Content-Security-Policy: each context the browser
opens reports what Chromium refused (an inline script or style, a file from elsewhere).
"""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, WebError, async_playwright

from tests.browser.stack import CHROMIUM

CHROMIUM_INSTALLED = Path(CHROMIUM).exists()
CSP_REFUSALS: list[str] = []
# Redoc's "powered by" logo comes from its CDN: cosmetic, and refused by the docs' policy on purpose.
EXPECTED_REFUSALS = ("https://cdn.redoc.ly/",)


def _report_csp_refusals(context: BrowserContext) -> BrowserContext:
    def refused(page: Page | None, text: str) -> None:
        if "Content Security Policy" in text and not any(url in text for url in EXPECTED_REFUSALS):
            CSP_REFUSALS.append(f"{page.url if page else '?'}: {text}")

    def console(message: ConsoleMessage) -> None:
        refused(message.page, message.text)

    def error(web_error: WebError) -> None:  # a script stopped by the policy (eval, say)
        refused(web_error.page, str(web_error.error))

    context.on("console", console)
    context.on("weberror", error)
    return context


@pytest.fixture(autouse=True)
def no_csp_refusals() -> Iterator[None]:
    CSP_REFUSALS.clear()
    yield
    assert CSP_REFUSALS == [], "the Content-Security-Policy refused what a page needs"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM_INSTALLED:
        pytest.fail(
            f"{CHROMIUM} is missing: `make setup` installs Debian's chromium (apt-get install chromium)"
        )
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        new_context = chromium.new_context

        async def reporting_context(**options: Any) -> BrowserContext:
            return _report_csp_refusals(await new_context(**options))

        chromium.new_context = reporting_context  # type: ignore[method-assign]
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
