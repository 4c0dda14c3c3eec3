"""`make demo` against the whole real stack: every service on a real port, both workers, Kafka and
Temporal; the demo speaks only HTTP to them. Then the demo officer's portfolio shows every stage.
"""

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from deploy.demo import fill
from deploy.demo.portfolio import STAGES, portfolio
from services.portal.read_model.models import PortalAlert, PortalClinic, PortalClinicActivity, PortalPlan
from shared import clock
from shared.auth import issue_token
from tests.browser.demo_stack import demo_platform
from tests.browser.stack import screenshot
from tests.clock_dates import WEEKDAYS
from tests.polling import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def marker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "demo.json"
    monkeypatch.setattr(fill, "MARKER", path)
    return path


@pytest.fixture(params=WEEKDAYS, ids=[day.strftime("%A") for day in WEEKDAYS])
def weekday(request: pytest.FixtureRequest) -> Iterator[datetime]:
    """The whole stack's clock on each day of one week: the demo tells the same story on all."""
    with clock.set_to(request.param):
        yield request.param


async def test_the_demo_builds_a_portfolio_at_every_stage_through_the_apis(
    kafka: str,
    temporal: WorkflowEnvironment,
    tmp_path: Path,
    marker: Path,
    browser: Browser,
    weekday: datetime,
) -> None:
    async with demo_platform(kafka, temporal, tmp_path) as (platform, urls, settings):
        said = await fill.run(len(STAGES), settings)
        assert f"{urls['portal']}/sign-in?token=" in said
        officer_id = json.loads(await asyncio.to_thread(marker.read_text))["officer_id"]

        async def every_stage() -> bool:
            async with platform["portal"].runtime.sessions() as session:
                clinics = (
                    await session.exec(select(PortalClinic).where(PortalClinic.officer_id == officer_id))
                ).all()
                phases = {plan.phase for plan in (await session.exec(select(PortalPlan))).all()}
            return (
                len(clinics) == len(STAGES)
                and {"pilot", "evaluation", "rollout", "sustain", "done"} <= phases
            )

        await eventually(every_stage, within=120, what="the demo's clinics and plans in the portal")
        # The finished plan's close-out: its gate on real weeks, adoption and money as measured.
        async with platform["portal"].runtime.sessions() as session:
            done = (await session.exec(select(PortalPlan).where(PortalPlan.phase == "done"))).one()
        token = issue_token(platform["roadmap"].runtime.settings, officer_id=officer_id)
        closed = await platform["roadmap"].http.get(
            f"/v1/plans/{done.id}/close-out", headers={"Authorization": f"Bearer {token}"}
        )
        assert closed.status_code == 200, closed.text
        close_out = closed.json()
        [gate] = close_out["gates"]
        assert gate["outcome"] == "pass" and gate["n_pilot"] > 0  # judged on the pilot's own weeks
        assert close_out["adoption"]["pilot"] is not None  # the pilot group's measured weekly use
        assert close_out["money"]["realized"]["effect_pct"] == gate["estimate_pct"]
        # The clinic whose scribe use fades over its last three weeks, and the one whose feed stopped.
        fading = next(clinic for clinic in portfolio(len(STAGES)) if clinic.feed == "fading")
        quiet = next(clinic for clinic in portfolio(len(STAGES)) if clinic.feed == "quiet")

        async def watched() -> bool:
            async with platform["portal"].runtime.sessions() as session:
                ids = {
                    clinic.name: clinic.id
                    for clinic in (
                        await session.exec(select(PortalClinic).where(PortalClinic.officer_id == officer_id))
                    ).all()
                }
                decline = (
                    await session.exec(
                        select(PortalAlert).where(
                            PortalAlert.clinic_id == ids[fading.name], PortalAlert.kind == "adoption_decline"
                        )
                    )
                ).first()
                return (
                    decline is not None
                    and await session.get(PortalClinicActivity, ids[quiet.name]) is not None
                )

        await eventually(watched, within=60, what="kpi's adoption decline and feed health in the portal")

        # The sign-in link the demo printed opens the demo portfolio.
        link = said.split()[-1]
        page = await (await browser.new_context(viewport={"width": 1366, "height": 900})).new_page()
        await page.goto(link)
        rows = page.locator("table.portfolio tbody tr")
        await expect(rows).to_have_count(len(STAGES))
        await expect(page.locator("table.portfolio")).to_contain_text("rollout, day 1 of")
        await expect(page.locator("table.portfolio")).to_contain_text("auditing, day 1 of 7")
        # The plans took their baseline from the feeds' past weeks: their KPIs are charted at once.
        spark = rows.filter(has_text="pilot, day").first.locator("svg.spark")
        await expect(spark).to_have_count(1)
        assert int(await spark.get_attribute("data-points") or 0) >= 3
        await expect(rows.filter(has_text=fading.name).locator("td[data-label=Adoption]")).to_contain_text(
            "▼"
        )
        await expect(
            rows.filter(has_text=quiet.name).locator("td[data-label='Partner feed']")
        ).to_contain_text("days ago; ")
        await screenshot(page, "demo-portfolio")
        # The fading clinic's page: its feeds, its AI use charted week by week, kpi's alert.
        await rows.filter(has_text=fading.name).get_by_role("link", name=fading.name).click()
        await expect(page.locator("#feeds")).to_contain_text("last event today")
        await expect(page.locator("#adoption-chart")).to_have_attribute("data-drawn", re.compile(r"^\d+$"))
        await expect(
            page.get_by_text(
                "The share of notes written with the AI scribe (by the clinicians who use it) fell"
            ).first
        ).to_be_visible()
        await screenshot(page, "demo-clinic")
        clinic_url = page.url
        await page.goto(f"{clinic_url}/strategy")
        await expect(page.locator("svg.heatmap")).to_have_count(1)
        await screenshot(page, "demo-strategy")
        await page.goto(f"{clinic_url}/report")
        await expect(page.locator("body")).to_contain_text(fading.name)
        await screenshot(page, "demo-report")
        await page.goto(f"{urls['portal']}/today")
        await expect(page.locator("#gates")).to_contain_text("Continue to rollout")
        await expect(page.locator("#declines")).to_contain_text(fading.name)
        await expect(page.locator("#quiet")).to_contain_text(quiet.name)
        await screenshot(page, "demo-today")
        # Acting on Today: a refresher booked at roadmap for the fading clinic's plan, the quiet feed
        # taken off Today once handled; each confirmed.
        await page.locator("#declines").get_by_role("button", name="Book a refresher training").click()
        await expect(page.locator(".flash-ok")).to_contain_text("Refresher booked for")
        await page.locator("#quiet").get_by_role("button", name="Dismiss").click()
        await expect(page.locator(".flash-ok")).to_contain_text("Taken off Today")
        await expect(page.locator("#quiet")).not_to_contain_text(quiet.name)
        await page.context.close()
