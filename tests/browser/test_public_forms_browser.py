"""The public forms in Debian's Chromium at a phone's width (390x844), against intake, audit and the
portal on real Kafka and Temporal. Screenshots go to .local/artefacts/browser/."""

import io
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from playwright.async_api import Browser, FilePayload, Page, expect
from temporalio.testing import WorkflowEnvironment

from services.intake.prospects import service as prospects
from services.intake.settings import IntakeSettings
from services.portal.routes import public_forms
from shared.public_links import LinkPurpose, issue_link
from tests.browser.stack import PHONE, screenshot, served, sign_in
from tests.forms_support import FormsStack, aged_stamp, forms_stack

pytestmark = pytest.mark.integration


@dataclass
class Served:
    stack: FormsStack
    url: str


@pytest.fixture(scope="module")
async def served_stack(
    kafka: str, temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Served]:
    async with (
        forms_stack(kafka, temporal, tmp_path_factory.mktemp("forms-browser")) as stack,
        served(stack.platform["portal"].app) as url,
    ):
        yield Served(stack, url)


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    tab = await context.new_page()
    yield tab
    await context.close()


async def fits_the_phone(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


async def test_a_prospect_answers_twelve_questions_with_a_progress_indicator(
    served_stack: Served, phone: Page
) -> None:
    await public_forms.PROSPECT_SUBMISSIONS.reset()
    officer = await served_stack.stack.officer()
    link = await served_stack.stack.prospect_invite(officer, label="browser")
    started = time.monotonic()
    await phone.goto(f"{served_stack.url}/p/{link['token']}")
    progress = phone.locator("#progress-text")
    await expect(progress).to_have_text("0 of 12 answered")
    await fits_the_phone(phone)

    questions = prospects.short_form().questions
    assert len(questions) == 12
    for number, question in enumerate(questions, start=1):
        # Tap the second choice of each question (a label, so the whole row is the target).
        choice = phone.locator(f'fieldset[data-question="{question.id}"] label.choice').nth(1)
        box = await choice.bounding_box()
        assert box is not None and box["height"] >= 44, "a choice is too small to tap"
        await choice.tap()
        await expect(progress).to_have_text(f"{number} of 12 answered")
    assert await phone.locator("#progress").evaluate("bar => bar.value") == 12
    await screenshot(phone, "prospect-form-phone")

    # The person took their time: a stamp from a minute ago, as if they had.
    await phone.locator('input[name="form_stamp"]').evaluate(
        "(input, stamp) => { input.value = stamp; }", aged_stamp(link["id"])
    )
    await phone.get_by_role("button", name="See my readiness").tap()
    await expect(phone.get_by_role("heading", name="Your next three steps")).to_be_visible()
    await expect(phone.locator("ul.scores li")).to_have_count(7)
    await expect(phone.locator("ol.next-steps li")).to_have_count(3)
    await expect(phone.get_by_text("We kept no contact details")).to_be_visible()
    await fits_the_phone(phone)
    await screenshot(phone, "prospect-result-phone")
    print(f"\nprospect form: 12 answers tapped and scored in {time.monotonic() - started:.1f} s (scripted)")


async def test_expired_forged_and_revoked_links_show_what_to_do(served_stack: Served, phone: Page) -> None:
    officer = await served_stack.stack.officer()
    link = await served_stack.stack.prospect_invite(officer)
    expired = issue_link(
        IntakeSettings(environment="test"),
        purpose=LinkPurpose.PROSPECT,
        link_id=link["id"],
        subject_id=officer,
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    await served_stack.stack.platform["intake"].http.post(
        f"/v1/prospect-invites/{link['id']}/revoke", headers=served_stack.stack.auth(officer)
    )
    for token, heading, status in (
        (expired, "This link has expired", 410),
        (link["token"][:-5] + "AAAAA", "This link does not work", 404),
        (link["token"], "This link no longer works", 410),
    ):
        answer = await phone.goto(f"{served_stack.url}/p/{token}")
        assert answer is not None and answer.status == status
        await expect(phone.get_by_role("heading", name=heading)).to_be_visible()
        await expect(phone.get_by_text("Ask the officer who sent it to you for a new link")).to_be_visible()
        await fits_the_phone(phone)
    await expect(phone.get_by_role("alert")).to_contain_text("withdrawn")
    await screenshot(phone, "public-link-refused-phone")


async def test_a_staff_member_logs_a_task_on_a_phone_in_a_few_taps(served_stack: Served, phone: Page) -> None:
    await public_forms.TASK_LOG_SUBMISSIONS.reset()
    stack = served_stack.stack
    officer = await stack.officer()
    clinic_id, audit_id = await stack.clinic_in_audit_week(officer, name="Maple Street Clinic")
    link = await stack.task_log_link(officer, audit_id)

    started = time.monotonic()
    await phone.goto(f"{served_stack.url}/t/{link['token']}")
    await expect(phone.get_by_role("heading", name="Log a task")).to_be_visible()
    await fits_the_phone(phone)
    taps = 0
    for label in ("front-desk-1", "Appointment scheduling", "Always the same steps", "phone"):
        target = phone.locator("label.choice", has_text=label).first
        box = await target.bounding_box()
        assert box is not None and box["height"] >= 44, f"{label!r} is too small to tap"
        await target.tap()
        taps += 1
    await phone.get_by_label("Minutes each time").fill("4")
    await screenshot(phone, "task-log-phone")
    # A person needs a few seconds for those taps; the form refuses anything faster.
    await phone.wait_for_timeout(max(0, 3200 - (time.monotonic() - started) * 1000))
    await phone.get_by_role("button", name="Log this task").tap()
    await expect(phone.get_by_role("status")).to_contain_text("Logged for front-desk-1: 1 task on")
    elapsed = time.monotonic() - started
    assert elapsed < 30
    print(
        f"\ntask log: {taps} taps + minutes, logged in {elapsed:.1f} s (including the 3 s minimum fill time)"
    )

    # The next task is quicker: the pseudonym is remembered.
    await expect(phone.locator('input[name="staff_id"][value="front-desk-1"]')).to_be_checked()
    await fits_the_phone(phone)

    # The officer, on a phone too, sees who has not logged yet today.
    await sign_in(phone, served_stack.url, officer)
    await phone.goto(f"{served_stack.url}/clinics/{clinic_id}/audit-logging")
    row = phone.locator("#not-logged tbody tr").first
    await expect(row).to_contain_text("1 of 3")
    await expect(row).to_contain_text("front-desk-2, physician-1")
    await screenshot(phone, "audit-logging-officer-phone")


def logo_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (160, 48), "darkgreen").save(out, format="PNG")
    return out.getvalue()


async def test_the_officers_logo_heads_the_forms_their_links_open_until_removed(
    served_stack: Served, phone: Page
) -> None:
    stack = served_stack.stack
    officer, other = await stack.officer(), await stack.officer()
    await sign_in(phone, served_stack.url, officer, name="Dana Reyes")
    await phone.goto(f"{served_stack.url}/settings")
    upload = phone.locator('#logo input[type="file"]')
    # An SVG is refused, naming the field; a PNG is kept.
    svg = FilePayload(name="logo.svg", mimeType="image/svg+xml", buffer=b"<svg><script>1</script></svg>")
    await upload.set_input_files(files=[svg])
    await phone.get_by_role("button", name="Upload the logo").tap()
    await expect(phone.locator("#logo-error")).to_contain_text("logo: only a PNG or JPEG image")
    png = FilePayload(name="logo.png", mimeType="image/png", buffer=logo_png())
    await phone.locator('#logo input[type="file"]').set_input_files(files=[png])
    await phone.get_by_role("button", name="Upload the logo").tap()
    await expect(phone.locator(".flash-ok")).to_contain_text("Logo saved")

    async def logo_on_form(officer_id: str) -> int:
        """The drawn width of the logo on a form this officer's link opens (0: none shown)."""
        link = await stack.prospect_invite(officer_id)
        await phone.goto(f"{served_stack.url}/p/{link['token']}")
        await expect(phone.get_by_text("0 of 12 answered")).to_be_visible()
        found = phone.locator("header.public-top img.officer-logo")
        if not await found.count():
            return 0
        await expect(found).to_be_visible()
        return int(await found.evaluate("img => img.complete ? img.naturalWidth : 0"))

    assert await logo_on_form(officer) == 160  # loaded under the page's CSP, not blocked
    await fits_the_phone(phone)
    await screenshot(phone, "prospect-form-logo-phone")
    assert await logo_on_form(other) == 0  # another officer's link never shows it

    await phone.goto(f"{served_stack.url}/settings")
    await phone.get_by_role("button", name="Remove the logo").tap()
    await expect(phone.locator(".flash-ok")).to_contain_text("Logo removed")
    assert await logo_on_form(officer) == 0
