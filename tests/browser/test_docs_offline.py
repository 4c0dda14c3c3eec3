"""/docs, /redoc and /asyncapi render with no network: every asset comes from the service."""

from pathlib import Path

import pytest
from playwright.async_api import Browser, Route

from tests.browser.stack import screenshot, served
from tests.services import running

# What each page shows once its viewer has rendered the service's document.
PAGES = {
    "/docs": ".swagger-ui .info .title",
    "/redoc": "redoc-wrap h1, .api-info h1",
    "/asyncapi": "#asyncapi .info, #asyncapi #introduction",
}


@pytest.mark.parametrize("service", ["intake", "audit", "roadmap", "kpi", "portal"])
async def test_docs_pages_render_with_no_network(
    browser: Browser, kafka: str, tmp_path: Path, service: str
) -> None:
    async with (
        running(service, kafka=kafka, data_dir=tmp_path) as platform,
        served(platform[service].app) as base,
    ):
        context = await browser.new_context()
        blocked: list[str] = []

        async def offline(route: Route) -> None:
            if route.request.url.startswith(base):
                await route.continue_()
            else:  # the machine has no internet: what the page needs must not come from elsewhere
                if route.request.resource_type != "image":  # Redoc's "powered by" logo is cosmetic
                    blocked.append(route.request.url)
                await route.abort("internetdisconnected")

        await context.route("**/*", offline)
        page = await context.new_page()
        try:
            for path, content in PAGES.items():
                await page.goto(base + path)
                shown = page.locator(content).first
                await shown.wait_for(state="visible", timeout=30_000)
                assert "faio" in (await shown.inner_text()).lower(), path
                await screenshot(page, f"docs-{service}-{path.strip('/')}")
        finally:
            await context.close()
        assert blocked == []
