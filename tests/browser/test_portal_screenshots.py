"""Every page of the portal after `make demo`, at 1440 px and at 390 px (a phone), written to
services/portal/docs/screenshots (the portal README shows them). On a phone the portfolio, a clinic,
Today and the calendar fit the width: nothing scrolls sideways.
"""

import asyncio
import json
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from deploy.demo import fill
from deploy.demo.portfolio import portfolio
from services.portal.read_model.models import PortalClinic, PortalNotice, PortalPlan
from shared import clock
from tests.browser.demo_stack import demo_platform
from tests.clock_dates import WEEKDAYS
from tests.polling import eventually

pytestmark = pytest.mark.integration
SHOTS = Path(__file__).parents[2] / "services" / "portal" / "docs" / "screenshots"
WIDTHS = {"desktop": 1440, "phone": 390}
COUNT = 25
# The pages an officer reads on a phone between meetings: they must fit it.
MUST_FIT = ("portfolio", "clinic", "today", "calendar")


@pytest.fixture
def marker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "demo.json"
    monkeypatch.setattr(fill, "MARKER", path)
    return path


async def overflow(page: Page, width: int) -> list[str]:
    """What sticks out past the viewport (empty when the page fits)."""
    if await page.evaluate("document.documentElement.scrollWidth") <= width + 1:
        return []
    found: list[str] = await page.evaluate(
        f"[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > {width + 1})"
        ".map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 40))"
    )
    return found[:8] or ["the page is wider than the screen"]


async def test_every_page_at_desktop_and_phone_widths(
    kafka: str, temporal: WorkflowEnvironment, tmp_path: Path, marker: Path, browser: Browser
) -> None:
    with clock.set_to(WEEKDAYS[2]):
        async with demo_platform(kafka, temporal, tmp_path) as (platform, urls, settings):
            said = await fill.run(COUNT, settings)
            officer_id = json.loads(await asyncio.to_thread(marker.read_text))["officer_id"]

            async def settled() -> bool:
                async with platform["portal"].runtime.sessions() as session:
                    clinics = (await session.exec(select(PortalClinic))).all()
                    plans = (await session.exec(select(PortalPlan))).all()
                    gates = (
                        await session.exec(select(PortalNotice).where(PortalNotice.kind == "decision_needed"))
                    ).all()
                return len(clinics) == COUNT and "done" in {plan.phase for plan in plans} and bool(gates)

            await eventually(settled, within=180, what="the demo's clinics, plans and gates in the portal")
            async with platform["portal"].runtime.sessions() as session:
                ids = {
                    clinic.name: clinic.id
                    for clinic in (
                        await session.exec(select(PortalClinic).where(PortalClinic.officer_id == officer_id))
                    ).all()
                }
                done = (await session.exec(select(PortalPlan).where(PortalPlan.phase == "done"))).first()
            at_gate = next(clinic for clinic in portfolio(COUNT) if clinic.stage == "gate")
            clinic = ids[at_gate.name]
            portal = urls["portal"]
            pages = {
                "portfolio": "/portfolio",
                "today": "/today",
                "calendar": "/calendar",
                "digest": "/digest",
                "settings": "/settings",
                "clinic": f"/clinics/{clinic}",
                "strategy": f"/clinics/{clinic}/strategy",
                "report": f"/clinics/{clinic}/report",
                "partners": f"/clinics/{clinic}/partners",
                "audit-logging": f"/clinics/{clinic}/audit-logging",
                "catalog": "/catalog",
                "prospects": "/prospects",
                "not-found": "/no-such-page",
                "public-link-expired": "/p/not-a-live-link",
            }
            if done is not None:
                pages["close-out"] = f"/plans/{done.id}/close-out"
            SHOTS.mkdir(parents=True, exist_ok=True)
            problems: dict[str, list[str]] = {}
            for label, width in WIDTHS.items():
                context = await browser.new_context(viewport={"width": width, "height": 900})
                page = await context.new_page()
                # A sign-in link works once: each browser gets its own (the demo run again adds nothing).
                link = (said if label == "desktop" else await fill.run(COUNT, settings)).split()[-1]
                await page.goto(link)
                for name, path in pages.items():
                    answer = await page.goto(f"{portal}{path}")
                    assert answer is not None and answer.status < 500, (path, answer and answer.status)
                    assert page.url == f"{portal}{path}", (path, page.url)  # signed in, not sent away
                    await page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
                    if label == "phone" and name in MUST_FIT:
                        sticking_out = await overflow(page, width)
                        if sticking_out:
                            problems[name] = sticking_out
                await page.goto(f"{portal}/sign-in")
                await context.clear_cookies()
                await page.goto(f"{portal}/sign-in")
                await page.screenshot(path=str(SHOTS / f"sign-in-{label}.png"), full_page=True)
                await context.close()
            assert problems == {}, problems
