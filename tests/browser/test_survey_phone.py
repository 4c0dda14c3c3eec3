"""The staff buy-in survey on a phone (390x844) in Debian's Chromium, against the real portal and roadmap.

A staff member opens the link the officer shared, taps five answers and sends them; sent too fast
(as a bot would), the page says so and keeps the answers. A withdrawn link says what to do.
Screenshots go to .local/artefacts/browser/.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from playwright.async_api import Browser, Page, expect
from temporalio.testing import WorkflowEnvironment

from services.roadmap.models import RoadmapClinic, RoadmapPlan
from services.roadmap.settings import RoadmapSettings
from shared.auth import issue_token
from tests.browser.stack import PHONE, screenshot, served
from tests.services import Platform, running

pytestmark = pytest.mark.integration
OFFICER = "officer-survey-phone"
MIN_FILL_SECONDS = 3.0


@dataclass
class SurveyStack:
    platform: Platform
    portal_url: str

    def auth(self) -> dict[str, str]:
        token = issue_token(self.platform["roadmap"].runtime.settings, officer_id=OFFICER)
        return {"Authorization": f"Bearer {token}"}

    async def survey_link(self) -> tuple[str, str, str]:
        """A plan in preparation with its before-pilot round open: (plan id, round id, link token)."""
        clinic_id, initiative_id = uuid.uuid4(), uuid.uuid4()
        plan_id = f"plan-{initiative_id}"
        async with self.platform["roadmap"].runtime.sessions() as session:
            session.add(
                RoadmapClinic(id=clinic_id, officer_id=OFFICER, name="Lakeside Pediatrics", specialty="peds")
            )
            session.add(
                RoadmapPlan(id=plan_id, clinic_id=clinic_id, initiative_id=initiative_id, phase="preparation")
            )
            await session.commit()
        opened = await self.platform["roadmap"].http.post(
            f"/v1/plans/{plan_id}/buy-in/surveys",
            json={"stage": "before_pilot", "links": 5},
            headers=self.auth(),
        )
        assert opened.status_code == 201, opened.text
        return plan_id, opened.json()["id"], opened.json()["links"][0]["link_token"]


@pytest.fixture(scope="module")
async def survey_stack(
    kafka: str, temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SurveyStack]:
    target = temporal.client.service_client.config.target_host
    async with running(
        "roadmap",
        "portal",
        kafka=kafka,
        data_dir=tmp_path_factory.mktemp("survey-stack"),
        temporal_address=target,
    ) as platform:
        settings = platform["roadmap"].runtime.settings
        assert isinstance(settings, RoadmapSettings)
        settings.survey_min_fill_seconds = MIN_FILL_SECONDS
        async with served(platform["portal"].app) as url:
            yield SurveyStack(platform, url)


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    tab = await context.new_page()
    yield tab
    await context.close()


async def fits_the_screen(page: Page) -> None:
    """Nothing wider than the phone (no sideways scrolling)."""
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


async def test_staff_answer_on_a_phone_and_a_bot_fast_answer_is_refused(
    survey_stack: SurveyStack, phone: Page
) -> None:
    plan_id, _round_id, token = await survey_stack.survey_link()
    await phone.goto(f"{survey_stack.portal_url}/survey/{token}")
    await expect(phone.get_by_role("heading", name="How do you feel about the new tool?")).to_be_visible()
    await expect(
        phone.get_by_text("Lakeside Pediatrics asks its staff before the pilot starts")
    ).to_be_visible()
    questions = phone.locator("fieldset.question")
    await expect(questions).to_have_count(5)
    await expect(phone.locator("textarea")).to_have_count(0)
    await expect(phone.locator("input[name=website]")).not_to_be_in_viewport()  # the honeypot: never seen
    await fits_the_screen(phone)
    first_choice = await questions.nth(0).locator("label.choice").nth(0).bounding_box()
    assert first_choice is not None and first_choice["height"] >= 44  # a thumb's tap target
    await screenshot(phone, "survey-phone-form")

    for index, label in enumerate(("Disagree", "Agree", "Disagree", "Strongly agree", "Agree")):
        await questions.nth(index).get_by_text(label, exact=True).tap()
    await phone.get_by_role("button", name="Send my answers").tap()  # at once: faster than a person
    await expect(phone.get_by_role("alert")).to_contain_text("faster than a person fills it")
    await expect(questions.nth(3).get_by_label("Strongly agree")).to_be_checked()  # the answers stay
    await asyncio.sleep(MIN_FILL_SECONDS)
    await phone.get_by_role("button", name="Send my answers").tap()
    await expect(phone.get_by_role("status")).to_contain_text("Your answers were recorded, without your name")
    await fits_the_screen(phone)
    await screenshot(phone, "survey-phone-thanks")

    buy_in = await survey_stack.platform["roadmap"].http.get(
        f"/v1/plans/{plan_id}/buy-in", headers=survey_stack.auth()
    )
    results = buy_in.json()["surveys"][0]["results"]
    assert results["closed"] is False and results["responses"] is None  # no live count while open

    # The link took its one answer: back on it, the phone says so instead of a fresh form.
    await phone.goto(f"{survey_stack.portal_url}/survey/{token}")
    await expect(phone.get_by_role("alert")).to_contain_text("used already")
    await fits_the_screen(phone)


async def test_a_missing_answer_is_marked_and_a_withdrawn_link_says_what_to_do(
    survey_stack: SurveyStack, phone: Page
) -> None:
    plan_id, round_id, token = await survey_stack.survey_link()
    await phone.goto(f"{survey_stack.portal_url}/survey/{token}")
    await phone.locator("fieldset.question").nth(0).get_by_text("Agree", exact=True).tap()
    await phone.get_by_role("button", name="Send my answers").tap()
    await expect(phone.get_by_role("alert")).to_contain_text("Please answer every question")
    await expect(phone.locator("fieldset.question.invalid")).to_have_count(4)
    await fits_the_screen(phone)

    revoked = await survey_stack.platform["roadmap"].http.post(
        f"/v1/plans/{plan_id}/buy-in/surveys/{round_id}/revoke", headers=survey_stack.auth()
    )
    assert revoked.status_code == 200
    await phone.goto(f"{survey_stack.portal_url}/survey/{token}")
    await expect(phone.get_by_role("heading", name="This survey link does not open")).to_be_visible()
    await expect(phone.get_by_role("alert")).to_contain_text("withdrawn by the officer")
    await expect(phone.get_by_role("alert")).to_contain_text("ask the officer who sent it for a new link")
    await fits_the_screen(phone)
    await screenshot(phone, "survey-phone-withdrawn")
