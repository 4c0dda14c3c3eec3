"""The strategy map, the catalog and the practice report in Debian's Chromium, against the real
roadmap service (fed over the real broker) and the portal that calls its API.

Each test saves a screenshot under .local/artefacts/browser/.
"""

import io
import re
import uuid
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, expect
from pypdf import PdfReader
from temporalio.testing import WorkflowEnvironment

from tests.browser.stack import PHONE, screenshot, served, sign_in
from tests.browser.story import StrategyStack, assessed_and_audited_clinic
from tests.services import running

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def strategy_stack(
    kafka: str, temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[StrategyStack]:
    data_dir = tmp_path_factory.mktemp("strategy-stack")
    target = temporal.client.service_client.config.target_host
    async with (
        running("roadmap", "portal", kafka=kafka, data_dir=data_dir, temporal_address=target) as platform,
        served(platform["portal"].app) as url,
    ):
        yield StrategyStack(platform, url, kafka)


async def test_the_interview_moves_the_map_and_the_report_prints(
    strategy_stack: StrategyStack, browser: Browser
) -> None:
    officer = f"officer-{uuid.uuid4()}"
    name = f"Riverbend Family Practice {uuid.uuid4().hex[:4]}"
    clinic_id = await assessed_and_audited_clinic(strategy_stack, officer, name)
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    try:
        await sign_in(page, strategy_stack.portal_url, officer)
        await page.goto(f"{strategy_stack.portal_url}/clinics/{clinic_id}/strategy")
        heat = page.locator("svg.heatmap")
        await expect(heat).to_be_visible()
        await expect(heat.locator("g.heat-row")).to_have_count(9)
        await expect(heat.locator('g.heat-row[data-area="billing"] text').first).to_have_text(
            re.compile("Billing")
        )
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1

        # The practice says documentation burns people out: the map, then the first problem, follow.
        await page.select_option("#r-documentation-staff_time", label="high")
        await page.select_option("#r-documentation-burnout", label="high")
        await page.select_option("#r-documentation-patient_friction", label="medium")
        await page.fill('input[name="note:documentation:burnout"]', "charting after clinic hours")
        await page.click("form.interview button[type=submit]")
        await expect(page.locator(".flash-ok")).to_contain_text("3 answers saved")
        first_row = page.locator('g.heat-row[data-area="documentation"] text').first
        await expect(first_row).to_have_text(re.compile("Documentation"))
        assert await first_row.get_attribute("font-weight") == "bold"
        await expect(page.locator("text=First problem:")).to_be_visible()
        await screenshot(page, "strategy-map-phone")

        await page.goto(f"{strategy_stack.portal_url}/clinics/{clinic_id}/report")
        await expect(page.locator("h1")).to_have_text(name)
        for section in ("readiness", "time", "strategy", "first-problem", "plan", "kpis", "money"):
            await expect(page.locator(f"section#{section}")).to_be_visible()
        await expect(page.locator("#first-problem")).to_contain_text("Documentation")
        await expect(page.locator("#kpis")).to_contain_text("NEJM AI 2025")
        await expect(page.locator("#time")).to_contain_text("47.5 hours")
        widest = await page.evaluate(
            "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 392)"
            ".map(e => e.tagName + '.' + e.className + ':' + (e.textContent || '').slice(0, 40))"
        )
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1, widest[:5]
        await screenshot(page, "practice-report-phone")

        pdf = await page.request.get(f"{strategy_stack.portal_url}/clinics/{clinic_id}/report.pdf")
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        body = await pdf.body()
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
        assert name in re.sub(r"\s+", " ", text) and "47.5 hours" in text
    finally:
        await context.close()
    desk = await browser.new_context(viewport={"width": 1366, "height": 900})
    try:  # the desktop views the portal's README shows
        page = await desk.new_page()
        await sign_in(page, strategy_stack.portal_url, officer)
        await page.goto(f"{strategy_stack.portal_url}/clinics/{clinic_id}/strategy")
        await expect(page.locator("svg.heatmap g.heat-row")).to_have_count(9)
        await screenshot(page, "strategy-map")
        await page.goto(f"{strategy_stack.portal_url}/clinics/{clinic_id}/report")
        await expect(page.locator("section#money")).to_be_visible()
        await screenshot(page, "practice-report")
    finally:
        await desk.close()


async def test_the_officer_adds_a_vendor_to_the_catalog(
    strategy_stack: StrategyStack, browser: Browser
) -> None:
    officer = f"officer-{uuid.uuid4()}"
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    try:
        await sign_in(page, strategy_stack.portal_url, officer)
        await page.click("nav >> text=Catalog")
        await expect(page.locator("section.catalog-category")).to_have_count(8)
        await expect(page.locator('tr[data-vendor="Nabla"]')).to_contain_text("default: verify")
        await page.select_option("#category", "ai_scribe")
        await page.fill("#vendor", "Suki")
        await page.fill("#integrates_emr", "athenahealth, ModMed")
        await page.check('input[name="baa_available"]')
        await page.select_option("#price_model", "per_provider_month")
        await page.fill("#price_usd", "299")
        await page.fill("#evidence", "vendor case studies only")
        await page.click("form.catalog-form button[type=submit]")
        await expect(page.locator(".flash-ok")).to_contain_text("Suki saved (AI scribe)")
        row = page.locator('tr[data-vendor="Suki"]')
        await expect(row).to_contain_text("emr: athenahealth, ModMed")
        await expect(row).not_to_contain_text("default: verify")
        await screenshot(page, "solution-catalog")
    finally:
        await context.close()
