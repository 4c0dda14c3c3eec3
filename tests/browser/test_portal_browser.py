"""The portal in Debian's Chromium against the real stack: Kafka, intake's API, the portal's pages.

Each test saves a screenshot under .local/artefacts/browser/.
"""

import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect
from sqlmodel import select

from services.portal.read_model.models import (
    PortalAlert,
    PortalAssessment,
    PortalAudit,
    PortalClinicActivity,
    PortalInitiative,
    PortalKpiWeek,
    PortalNotice,
    PortalPlan,
)
from services.portal.settings import PortalSettings
from shared.auth import issue_sign_in_token
from tests.browser import story
from tests.browser.stack import PHONE, screenshot, served, sign_in
from tests.polling import eventually
from tests.services import Platform, registered_officer, running

pytestmark = pytest.mark.integration


@dataclass
class Stack:
    platform: Platform
    portal_url: str
    kafka: str


@pytest.fixture(scope="module")
async def stack(kafka: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    data_dir = tmp_path_factory.mktemp("browser-stack")
    async with (
        running("intake", "portal", kafka=kafka, data_dir=data_dir) as platform,
        served(platform["portal"].app) as url,
    ):
        yield Stack(platform, url, kafka)


TOKENS: dict[str, str] = {}  # officer id -> the token intake issued when it created them


async def new_officer(stack: Stack) -> str:
    """An officer created at intake, as `faio officer create` does it."""
    officer_id, token = await registered_officer(stack.platform["intake"].http)
    TOKENS[officer_id] = token
    return officer_id


async def register(stack: Stack, officer_id: str, name: str) -> str:
    response = await stack.platform["intake"].http.post(
        "/v1/clinics",
        json={"name": name, "specialty": "dermatology", "locations": 1},
        headers={"Authorization": f"Bearer {TOKENS[officer_id]}"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def until_listed(page: Page, url: str, name: str) -> None:
    async def listed() -> bool:
        await page.goto(url)
        return await page.get_by_role("link", name=name).count() == 1

    await eventually(listed, within=60, what=f"{name} on the portfolio")


async def test_signing_in_with_the_link_shows_a_clinic_registered_through_intake(
    stack: Stack, page: Page
) -> None:
    officer = await new_officer(stack)
    name = f"Lakeside Dermatology {uuid.uuid4().hex[:4]}"
    await register(stack, officer, name)
    await sign_in(page, stack.portal_url, officer)
    assert page.url.endswith("/portfolio")
    await until_listed(page, f"{stack.portal_url}/portfolio", name)
    await expect(page.get_by_role("row").filter(has_text=name)).to_contain_text("registered: assess next")
    await screenshot(page, "portfolio-after-sign-in")

    # The session cookie is HttpOnly and SameSite=Lax.
    cookie = next(c for c in await page.context.cookies() if c["name"] == "faio_portal_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"


async def test_a_sign_in_link_works_once(stack: Stack, page: Page) -> None:
    token, _ = issue_sign_in_token(PortalSettings(environment="test"), officer_id="officer-once")
    await page.goto(f"{stack.portal_url}/sign-in?token={token}")
    assert page.url.endswith("/portfolio")
    await page.context.clear_cookies()
    await page.goto(f"{stack.portal_url}/sign-in?token={token}")
    await expect(page.get_by_role("alert")).to_contain_text("already used")
    await screenshot(page, "sign-in-link-spent")


async def test_officer_b_never_sees_officer_a_clinics(stack: Stack, browser: Browser) -> None:
    officer_a, officer_b = await new_officer(stack), await new_officer(stack)
    name = f"Private Clinic {uuid.uuid4().hex[:4]}"
    clinic_id = await register(stack, officer_a, name)
    events = story.clinic_story(
        clinic_id=uuid.UUID(clinic_id), officer_id=officer_a, name=name, now=story.now()
    )
    await story.tell(stack.kafka, events[1:], uuid.UUID(clinic_id))  # intake already registered it
    context_a = await browser.new_context()
    page_a = await context_a.new_page()
    await sign_in(page_a, stack.portal_url, officer_a)
    await until_listed(page_a, f"{stack.portal_url}/portfolio", name)
    plan_id = f"plan-{clinic_id}"
    await _wait_for_plan(stack, uuid.UUID(clinic_id), plan_id)

    context_b = await browser.new_context()
    page_b = await context_b.new_page()
    await sign_in(page_b, stack.portal_url, officer_b)
    await page_b.goto(f"{stack.portal_url}/portfolio")
    await expect(page_b.locator("body")).not_to_contain_text(name)
    clinic_pages = ("", "/partners", "/audit-logging", "/strategy", "/report")
    for path in (*(f"/clinics/{clinic_id}{page}" for page in clinic_pages), "/today"):
        response = await page_b.goto(f"{stack.portal_url}{path}")
        assert response is not None
        if path.startswith("/clinics"):
            assert response.status == 404
        await expect(page_b.locator("body")).not_to_contain_text(name)
    await page_b.goto(f"{stack.portal_url}/clinics/{clinic_id}")
    await screenshot(page_b, "cross-tenant-404")
    # Actions too: B's own valid CSRF token, A's plan, clinic, audit, partner: 404, nothing sent.
    await page_b.goto(f"{stack.portal_url}/portfolio")
    csrf = await page_b.locator("input[name=csrf_token]").first.input_value()
    anything = uuid.uuid4()
    for action in (
        f"/plans/{plan_id}/decision",
        f"/plans/{plan_id}/pause",
        f"/clinics/{clinic_id}/audits/open",
        f"/clinics/{clinic_id}/audits/{anything}/close",
        f"/clinics/{clinic_id}/partners",
        f"/clinics/{clinic_id}/partners/{anything}/link",
        f"/clinics/{clinic_id}/partners/{anything}/unlink",
    ):
        answer = await page_b.request.post(
            f"{stack.portal_url}{action}", form={"csrf_token": csrf, "action": "continue"}, max_redirects=0
        )
        assert answer.status == 404, action
    await context_a.close()
    await context_b.close()


async def _wait_for_plan(stack: Stack, clinic_id: uuid.UUID, plan_id: str) -> None:
    sessions = stack.platform["portal"].runtime.sessions

    async def ready() -> bool:
        async with sessions() as session:
            plan = await session.get(PortalPlan, (clinic_id, plan_id))
            notice = await session.get(PortalNotice, (clinic_id, plan_id, f"{plan_id}:decision_needed:1"))
            weeks = (await session.exec(select(PortalKpiWeek))).all()
            return plan is not None and plan.phase == "evaluation" and notice is not None and len(weeks) >= 2

    await eventually(ready, within=60, what=f"plan {plan_id} at its gate in the read model")


async def test_every_chart_draws_its_data_points(stack: Stack, page: Page) -> None:
    officer = f"officer-{uuid.uuid4()}"
    clinic_id = uuid.uuid4()
    name = f"Harbor Orthopedics {clinic_id.hex[:4]}"
    await story.tell(
        stack.kafka,
        story.clinic_story(clinic_id=clinic_id, officer_id=officer, name=name, now=story.now()),
        clinic_id,
    )
    await _wait_for_story(stack, clinic_id)
    await sign_in(page, stack.portal_url, officer)
    await until_listed(page, f"{stack.portal_url}/portfolio", name)

    # Portfolio: the sparkline has a dot per week; the funnel plots the clinic.
    row = page.get_by_role("row").filter(has_text=name)
    spark_points = int(await row.locator("svg.spark").get_attribute("data-points") or 0)
    assert spark_points > 0 and await row.locator("svg.spark circle").count() == spark_points
    await _all_charts_drawn(page, expected_count=1)
    await screenshot(page, "portfolio")

    await page.get_by_role("link", name=name).click()
    await _all_charts_drawn(page, expected_count=5)  # readiness, audit, AI use, two KPIs
    await expect(page.locator("#feeds")).to_contain_text("last event today")
    await expect(page.locator("ol.timeline")).to_contain_text("evaluation")
    await expect(page.get_by_text("pm-1")).to_be_visible()
    await screenshot(page, "clinic")

    await page.goto(f"{stack.portal_url}/today")
    gate = page.locator(f"#gate-plan-{clinic_id}")
    await expect(gate).to_contain_text("11.6 minutes per note")
    await expect(gate.get_by_role("button", name="Continue to rollout")).to_be_visible()
    await expect(page.locator("#declines")).to_contain_text(name)
    await expect(page.locator("#coverage")).to_contain_text("9 of 12 staff logged")
    await screenshot(page, "today")


async def _wait_for_story(stack: Stack, clinic_id: uuid.UUID) -> None:
    """Until every event of the story is in the read model (they travel on several topics)."""
    await _wait_for_plan(stack, clinic_id, f"plan-{clinic_id}")
    sessions = stack.platform["portal"].runtime.sessions

    async def complete() -> bool:
        async with sessions() as session:
            weeks = (
                await session.exec(select(PortalKpiWeek).where(PortalKpiWeek.clinic_id == clinic_id))
            ).all()
            alerts = (await session.exec(select(PortalAlert).where(PortalAlert.clinic_id == clinic_id))).all()
            audit = await session.get(PortalAudit, clinic_id)
            activity = await session.get(PortalClinicActivity, clinic_id)
            assessment = await session.get(PortalAssessment, clinic_id)
            initiatives = (
                await session.exec(select(PortalInitiative).where(PortalInitiative.clinic_id == clinic_id))
            ).all()
            return (
                len(weeks) == 2 * story.WEEKS
                and len(alerts) == 1
                and audit is not None
                and activity is not None
                and assessment is not None
                and len(initiatives) == 2
                and all(initiative.proposed_at for initiative in initiatives)
            )

    await eventually(complete, within=60, what=f"clinic {clinic_id}'s whole story in the read model")


async def _all_charts_drawn(page: Page, *, expected_count: int) -> None:
    """Every chart on the page drew as many points as its data holds (set by portal.js's draw hook)."""
    charts = page.locator("figure.chart")
    await expect(charts).to_have_count(expected_count)
    for index in range(expected_count):
        chart = charts.nth(index)
        await expect(chart).to_have_attribute("data-drawn", re.compile(r"^\d+$"))
        data = json.loads(await chart.get_attribute("data-chart") or "{}")
        expected = _points_in(data)
        assert expected > 0, data.get("title")
        assert int(await chart.get_attribute("data-drawn") or 0) == expected, data.get("title")
        assert await chart.locator("canvas").count() == 1


def _points_in(data: dict[str, Any]) -> int:
    """How many data points a chart's data holds (the nulls of a missing week are not points)."""
    if data["kind"] == "kpi":
        return len([value for value in data["value"] if value is not None])
    if data["kind"] == "funnel":
        return len([value for value in data["change"] if value is not None])
    return len([value for series in data["series"] for value in series["values"] if value is not None])


async def test_pages_work_at_a_phone_width(stack: Stack, browser: Browser) -> None:
    officer = f"officer-{uuid.uuid4()}"
    clinic_id = uuid.uuid4()
    name = f"Phone Clinic {clinic_id.hex[:4]}"
    await story.tell(
        stack.kafka,
        story.clinic_story(clinic_id=clinic_id, officer_id=officer, name=name, now=story.now()),
        clinic_id,
    )
    await _wait_for_story(stack, clinic_id)
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await sign_in(page, stack.portal_url, officer)
    for path, shot in (
        ("/portfolio", "phone-portfolio"),
        (f"/clinics/{clinic_id}", "phone-clinic"),
        (f"/clinics/{clinic_id}/partners", "phone-partners"),
        ("/today", "phone-today"),
    ):
        await page.goto(f"{stack.portal_url}{path}")
        await expect(page.get_by_text(name).first).to_be_visible()
        # Against the phone's width, not innerWidth: a mobile browser zooms out to fit a page too wide.
        wide = await page.evaluate(
            """(width) => [...document.querySelectorAll('body *')]
                .filter((el) => el.getBoundingClientRect().right > width + 1 && !el.closest('.table-wrap'))
                .map((el) => `${el.tagName}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`)
                .slice(0, 5)""",
            PHONE["width"],
        )
        overflow = await page.evaluate("document.documentElement.scrollWidth") - PHONE["width"]
        assert overflow <= 1 and not wide, f"{path} is {overflow}px wider than a phone: {wide}"
        await screenshot(page, shot)
    await context.close()
