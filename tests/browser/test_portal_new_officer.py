"""A new officer's first clinic, by buttons and forms alone, against the real stack (intake, audit
and roadmap with their Temporal workers, Kafka between them): add the clinic, its staff and its
readiness assessment, open an audit and make the staff link; staff log from it on a phone; the
audit closes, roadmap proposes, and the officer approves picking the owner and the pilot group
from the roster. Names stay in the portal: roadmap gets the pseudonyms.
"""

import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from playwright.async_api import Browser, Page, expect
from temporalio.testing import WorkflowEnvironment

from services.portal.routes import public_forms
from shared.pseudonyms import pseudonyms_for
from tests.browser.demo_stack import demo_platform
from tests.browser.stack import PHONE, screenshot, sign_in
from tests.polling import eventually
from tests.services import Platform, registered_officer

pytestmark = pytest.mark.integration
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STAFF = (("Dr Ana Rivera", "physician"), ("Maria Lopez", "front desk"), ("Sam Ortiz", "front desk"))


@dataclass
class NewOfficerStack:
    platform: Platform
    portal_url: str


@pytest.fixture(scope="module")
async def new_officer_stack(
    kafka: str, temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[NewOfficerStack]:
    """The whole stack with its workers (as `make demo` runs it), and no clinic in it yet."""
    async with demo_platform(kafka, temporal, tmp_path_factory.mktemp("new-officer")) as (platform, urls, _):
        yield NewOfficerStack(platform, urls["portal"])


async def no_uuid_shown(page: Page) -> None:
    text = await page.locator("main").inner_text()
    assert not UUID_TEXT.search(text), f"{page.url} shows an id: {UUID_TEXT.search(text)}"


async def add_the_clinic(page: Page, base: str) -> str:
    await page.goto(f"{base}/portfolio")
    await expect(page.locator("h1")).to_contain_text("0 clinics")
    await page.get_by_role("link", name="Add a clinic").first.click()
    fields = {
        "#clinic-name": "Seaside Family Medicine",
        "#clinic-specialty": "family medicine",
        "#clinic-locations": "0",
        "#clinic-time_zone": "America/Chicago",
        "#clinic-emr": "athenahealth",
        "#clinic-phone": "RingCentral",
        "#role_1": "physician",
        "#hourly_cost_1": "110",
        "#role_2": "front desk",
        "#hourly_cost_2": "24",
    }
    for selector, value in fields.items():
        await page.locator(selector).fill(value)
    await page.get_by_role("button", name="Add the clinic").click()
    await expect(page.locator("#new-clinic .field-error")).to_contain_text("greater than or equal to 1")
    await page.locator("#clinic-locations").fill("1")
    await page.get_by_role("button", name="Add the clinic").click()
    await expect(page.locator(".flash-ok")).to_contain_text("Seaside Family Medicine added")
    if "/staff" not in page.url:  # intake's event was slow: from the portfolio, once it shows

        async def listed() -> bool:
            await page.reload()
            return await page.get_by_role("link", name="Seaside Family Medicine").count() > 0

        await eventually(listed, within=60, what="the new clinic in the portfolio")
        await page.get_by_role("link", name="Seaside Family Medicine").first.click()
        await page.get_by_role("link", name="Staff", exact=True).click()
    match = re.search(r"/clinics/([0-9a-f-]{36})/staff", page.url)
    assert match, page.url
    return match.group(1)


async def add_the_staff(page: Page) -> None:
    await page.get_by_role("button", name="Add to the roster").click()  # no name yet
    await expect(page.locator("#add-person .field-error")).to_contain_text("at least 1 character")
    for name, role in STAFF:
        await page.locator("#person-name").fill(name)
        await page.locator("#person-role").select_option(role)
        await page.get_by_role("button", name="Add to the roster").click()
        await expect(page.locator(".flash-ok")).to_contain_text(f"{name} added as {role}")
    rows = page.locator("#roster tbody tr")
    await expect(rows).to_have_count(3)
    await expect(
        page.locator('#roster tr[data-pseudonym="front-desk-2"] input[name=display_name]')
    ).to_have_value("Sam Ortiz")
    await no_uuid_shown(page)
    await screenshot(page, "new-officer-staff")


async def answer_the_assessment(page: Page) -> None:
    await page.get_by_role("link", name="Answer the readiness assessment").click()
    questions = page.locator("#assessment select")
    count = await questions.count()
    assert count >= 15
    await questions.first.select_option(index=1)
    await page.get_by_role("button", name="Score the assessment").click()  # the rest unanswered
    await expect(page.locator("#assessment .field-error")).to_have_count(count - 1)
    for index in range(count):  # the practice's best answer to each
        question = questions.nth(index)
        last = await question.locator("option").count() - 1
        await question.select_option(index=last)
    await page.get_by_role("button", name="Score the assessment").click()
    await expect(page.locator(".flash-ok")).to_contain_text("Assessment scored")


async def staff_log_from_the_link(browser: Browser, link: str) -> None:
    """Two staff members log a task each from the link, on a phone."""
    await public_forms.TASK_LOG_SUBMISSIONS.reset()
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = await context.new_page()
    try:
        for who, category, minutes in (
            ("front-desk-1", "Appointment scheduling", "6"),
            ("physician-1", "Documentation", "12"),
        ):
            started = time.monotonic()
            await phone.goto(link)
            for label in (who, category, "Always the same steps", "phone"):
                await phone.locator("label.choice", has_text=label).first.tap()
            await phone.get_by_label("Minutes each time").fill(minutes)
            await phone.get_by_label("Times today").fill("20")
            await phone.wait_for_timeout(max(0, 3300 - (time.monotonic() - started) * 1000))
            await phone.get_by_role("button", name="Log this task").tap()
            await expect(phone.get_by_role("status")).to_contain_text(f"Logged for {who}")
    finally:
        await context.close()


async def test_a_new_officer_starts_a_clinic_without_the_cli(
    new_officer_stack: NewOfficerStack, page: Page, browser: Browser
) -> None:
    base, platform = new_officer_stack.portal_url, new_officer_stack.platform
    officer_id, token = await registered_officer(platform["intake"].http, name="Dana Reyes")
    await sign_in(page, base, officer_id, name="Dana Reyes")
    clinic_id = await add_the_clinic(page, base)
    await add_the_staff(page)

    await page.get_by_role("link", name="Seaside Family Medicine").click()
    await answer_the_assessment(page)

    await page.locator("#audit-action input[name=days]").fill("5")
    await page.get_by_role("button", name="Open an audit from today").click()
    await expect(page.locator(".flash-ok")).to_contain_text("Audit opened")
    await page.get_by_role("link", name=re.compile("Audit week")).click()
    await page.get_by_role("button", name="Make the staff link").click()
    made = page.locator("#new-link")
    await expect(made).to_contain_text("Maria Lopez is front-desk-1")
    await expect(made).to_contain_text("Dr Ana Rivera is physician-1")
    link = await page.get_by_label("task-log link").input_value()
    # Audit writes the link for the portal it was configured with; this test's portal is on its own port.
    link = f"{base}/t/{link.partition('/t/')[2]}"
    await screenshot(page, "new-officer-staff-link")
    await staff_log_from_the_link(browser, link)

    # Who has not logged yet is by name too.
    await page.goto(f"{base}/clinics/{clinic_id}/audit-logging")
    await expect(page.locator("#not-logged")).to_contain_text("Sam Ortiz")

    await page.goto(f"{base}/clinics/{clinic_id}")

    async def open_in_portal() -> bool:
        await page.reload()
        return await page.get_by_role("button", name="Close the audit now").count() == 1

    await eventually(open_in_portal, within=60, what="the open audit in the portal")
    await page.get_by_role("button", name="Close the audit now").click()
    await expect(page.locator(".flash-ok")).to_contain_text("Audit closing")

    async def proposed() -> bool:
        await page.reload()
        return await page.locator("form.approve").count() > 0

    await eventually(proposed, within=90, what="roadmap's proposals in the portal")
    approve = page.locator("form.approve").first
    await approve.get_by_role("button", name="Approve").click()  # nobody picked as owner yet
    await expect(page.locator("form.approve .field-error").first).to_contain_text("pick who owns it")
    approve = page.locator("form.approve").first
    await approve.get_by_label("Owner").select_option(label="Dr Ana Rivera · physician")
    await approve.get_by_label("Maria Lopez").check()
    await approve.get_by_label("Sam Ortiz").check()
    await screenshot(page, "new-officer-approve")
    await approve.get_by_role("button", name="Approve").click()
    await expect(page.locator(".flash-ok")).to_contain_text("Approved")

    # Roadmap has pseudonyms only; the portal shows the owner by name once roadmap's event arrives.
    headers = {"Authorization": f"Bearer {token}"}
    listed = await platform["roadmap"].http.get(f"/v1/clinics/{clinic_id}/initiatives", headers=headers)
    approved = [i for i in listed.json()["initiatives"] if i["status"] == "approved"]
    assert [i["owner"] for i in approved] == ["physician-1"]
    # The pilot group is matched with partner data, so roadmap keeps it keyed (shared/pseudonyms.py).
    secret = platform["roadmap"].runtime.settings.pseudonym_secret
    keyed = pseudonyms_for(
        ["front-desk-1", "front-desk-2"], clinic_id=uuid.UUID(str(clinic_id)), secret=secret
    )
    assert sorted(approved[0]["pilot_group"]) == sorted(keyed)

    async def owned_by_name() -> bool:
        await page.reload()
        return await page.get_by_text("Dr Ana Rivera", exact=True).count() > 0

    await eventually(owned_by_name, within=60, what="the owner by name on the clinic page")
    await no_uuid_shown(page)
    assert "physician-1" not in await page.locator("main").inner_text()
    await screenshot(page, "new-officer-approved")
    await buy_in_by_forms(page, base, str(approved[0]["plan_id"]))
    await page.set_viewport_size(PHONE)
    pages = ("/new-clinic", f"/clinics/{clinic_id}/staff", f"/clinics/{clinic_id}/assessment")
    for path in (*pages, f"/plans/{approved[0]['plan_id']}/buy-in"):
        await page.goto(f"{base}{path}")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width}px wide on a {PHONE['width']}px phone"
    await screenshot(page, "new-officer-staff-phone")


async def buy_in_by_forms(page: Page, base: str, plan_id: str) -> None:
    """Preparation's buy-in from the plan's page: what staff were told, who was trained (by name)."""

    async def plan_in_portal() -> bool:
        answer = await page.goto(f"{base}/plans/{plan_id}/buy-in")
        return answer is not None and answer.status == 200

    await eventually(plan_in_portal, within=60, what="the plan in the portal")
    await page.get_by_role("button", name="Record the communication").click()  # to nobody yet
    await expect(page.locator("#communicate .field-error")).to_contain_text("at least 1 item")
    await page.locator("#communicate").get_by_label("all staff").check()
    await page.get_by_role("button", name="Record the communication").click()
    await expect(page.locator(".flash-ok")).to_contain_text("Communication recorded")
    await page.locator("#train").get_by_label("Maria Lopez").check()
    await page.get_by_role("button", name="Record the training").click()
    await expect(page.locator(".flash-ok")).to_contain_text("Training recorded: 1 attended")
    await expect(page.locator("#buy-in-so-far")).to_contain_text("Maria Lopez")
    await no_uuid_shown(page)
    await screenshot(page, "new-officer-buy-in")
