"""After `make demo`, one story of what needs the officer: the portfolio's count is Today's items,
each flagged clinic's page names the same reasons, Today's gates carry pass, fail and inconclusive
evidence, a decided gate leaves at once, Stop asks first, a dismissal is undone; no page or report
shows a UUID or a faio command. And `make demo` run twice leaves one portfolio.
"""

import asyncio
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect
from pypdf import PdfReader
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from deploy.demo import fill
from deploy.demo.portfolio import headcounts, portfolio
from services.portal.officer.staff import PortalStaff
from services.portal.read_model.models import PortalAlert, PortalClinic, PortalNotice, PortalPlan
from shared import clock
from tests.browser.demo_stack import demo_platform
from tests.clock_dates import WEEKDAYS
from tests.polling import eventually

pytestmark = pytest.mark.integration
UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE)
# A command line: backticked, or faio followed by one of the CLI's commands (services/cli).
COMMAND = re.compile(
    r"`faio |\bfaio (?:assessment|audit|catalog|clinic|dlq|initiative|kpi|officer|partner|plan|prospect|"
    r"report|strategy)\b"
)
# A staff pseudonym as the services know the demo's people: pages show the roster's names instead.
PSEUDONYM = re.compile(r"\b(?:physician|medical-assistant|front-desk)-\d+\b")
# The demo's default size: four clinics at the gate, one for each of its outcomes and a second pass.
COUNT = 25


@pytest.fixture
def marker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "demo.json"
    monkeypatch.setattr(fill, "MARKER", path)
    return path


@pytest.fixture
def wednesday() -> Iterator[datetime]:
    with clock.set_to(WEEKDAYS[2]):
        yield WEEKDAYS[2]


def plain(text: str, where: str) -> None:
    """No UUID and no command line in what the officer reads."""
    for pattern in (UUID, COMMAND):
        found = pattern.search(text)
        assert found is None, f"{where} shows {text[max(0, found.start() - 40) : found.end() + 40]!r}"


async def reasons_of(page: Page, selector: str) -> list[str]:
    return [text.strip() for text in await page.locator(selector).all_inner_texts()]


async def one_story(page: Page, portal: str) -> tuple[dict[str, list[str]], int]:
    """The portfolio's flagged clinics and their reasons, checked against Today's items."""
    await page.goto(f"{portal}/portfolio")
    flagged = {}
    for row in await page.locator("table.portfolio tbody tr.needs").all():
        flagged[await row.get_attribute("data-clinic") or ""] = await reasons_of_row(row)
    items = sum(len(reasons) for reasons in flagged.values())
    assert await page.locator("#needing").inner_text() == str(len(flagged))
    assert await page.locator("#today-items .n").inner_text() == str(items)
    await page.goto(f"{portal}/today")
    today = await page.locator("article.need").all()
    on_today: dict[str, list[str]] = {}
    for item in today:
        on_today.setdefault(await item.get_attribute("data-clinic") or "", []).append(
            await item.get_attribute("data-reason") or ""
        )
    assert {clinic: sorted(reasons) for clinic, reasons in on_today.items()} == {
        clinic: sorted(reasons) for clinic, reasons in flagged.items()
    }
    assert (
        await page.locator("h1 .muted").first.inner_text()
        == f"{items} item{'s' if items != 1 else ''} need{'s' if items == 1 else ''} you"
    )
    return flagged, items


async def reasons_of_row(row: object) -> list[str]:
    return [text.strip() for text in await row.locator(".reason").all_inner_texts()]  # type: ignore[attr-defined]


async def test_the_demo_tells_one_story_of_what_needs_the_officer(
    kafka: str,
    temporal: WorkflowEnvironment,
    tmp_path: Path,
    marker: Path,
    browser: Browser,
    wednesday: datetime,
) -> None:
    async with demo_platform(kafka, temporal, tmp_path) as (platform, urls, settings):
        said = await fill.run(COUNT, settings)
        assert said.startswith(f"Demo portfolio built: {COUNT} clinics. Staff rosters: ")
        assert "people named." in said.splitlines()[0]
        officer_id = json.loads(await asyncio.to_thread(marker.read_text))["officer_id"]
        fading = next(clinic for clinic in portfolio(COUNT) if clinic.feed == "fading")
        quiet = next(clinic for clinic in portfolio(COUNT) if clinic.feed == "quiet")

        async def settled() -> bool:
            async with platform["portal"].runtime.sessions() as session:
                clinics = (
                    await session.exec(select(PortalClinic).where(PortalClinic.officer_id == officer_id))
                ).all()
                plans = (await session.exec(select(PortalPlan))).all()
                gates = (
                    await session.exec(select(PortalNotice).where(PortalNotice.kind == "decision_needed"))
                ).all()
                declines = (
                    await session.exec(select(PortalAlert).where(PortalAlert.kind == "adoption_decline"))
                ).all()
            at_gate = [plan for plan in plans if plan.phase == "evaluation"]
            return (
                len(clinics) == COUNT
                and {"pilot", "evaluation", "rollout", "sustain", "done"} <= {plan.phase for plan in plans}
                and len({notice.plan_id for notice in gates} & {plan.id for plan in at_gate}) == len(at_gate)
                and bool(declines)
            )

        await eventually(settled, within=180, what="the demo's plans, gates and decline in the portal")
        # Run twice, one portfolio: the second run adds nothing and says so.
        again = await fill.run(COUNT, settings)
        assert again.startswith(f"The demo portfolio is already there ({COUNT} clinics)")
        assert "Staff rosters: complete." in again
        async with platform["portal"].runtime.sessions() as session:
            ids = {
                clinic.name: str(clinic.id)
                for clinic in (
                    await session.exec(select(PortalClinic).where(PortalClinic.officer_id == officer_id))
                ).all()
            }
            people = (await session.exec(select(PortalStaff))).all()
        assert len(ids) == COUNT
        # One roster per clinic, everyone intake counts by name, however often the demo ran.
        rosters: dict[str, dict[str, str]] = {}
        for person in people:
            rosters.setdefault(str(person.clinic_id), {})[person.pseudonym] = person.display_name
        for clinic in portfolio(COUNT):
            assert len(rosters[ids[clinic.name]]) == sum(headcounts(clinic).values()), clinic.name
        assert len(people) == sum(len(roster) for roster in rosters.values())

        page = await (await browser.new_context(viewport={"width": 1366, "height": 900})).new_page()
        portal = urls["portal"]
        await page.goto(again.split()[-1])
        flagged, items = await one_story(page, portal)
        assert items > 0 and ids[fading.name] in flagged and ids[quiet.name] in flagged
        for clinic_id, reasons in flagged.items():
            await page.goto(f"{portal}/clinics/{clinic_id}")
            assert await reasons_of(page, "#needs .reason") == reasons, clinic_id

        # Today: the decline, and gates judged pass, fail and inconclusive on the pilots' weeks.
        # The plans' owner by name, not by pseudonym, on the clinic page.
        at_gate = next(clinic for clinic in portfolio(COUNT) if clinic.stage == "gate")
        owner = rosters[ids[at_gate.name]]["physician-1"]
        await page.goto(f"{portal}/clinics/{ids[at_gate.name]}")
        await expect(page.locator("main")).to_contain_text(owner)
        await expect(page.locator("main")).not_to_contain_text("physician-1")

        await page.goto(f"{portal}/today")
        await expect(page.locator("#declines")).to_contain_text(fading.name)
        gates = page.locator("#gates article")
        for outcome in ("gate passed", "gate failed", "gate inconclusive"):
            gate = gates.filter(has_text=outcome).first  # the demo's fourth gate passes too
            await expect(gate).to_be_visible()
            await expect(gate.locator("table.evidence")).to_contain_text("after baseline")
        # Stop asks first: going back changes nothing; confirming takes the gate off Today at once.
        failed = gates.filter(has_text="gate failed").first
        failed_id = await failed.get_attribute("id")
        await failed.get_by_role("button", name="Stop").click()
        await expect(page.locator("#confirm h1")).to_have_text("Stop this plan?")
        await page.get_by_role("link", name="No, go back").click()
        await expect(page.locator(f"#{failed_id}")).to_have_count(1)
        await page.locator(f"#{failed_id}").get_by_role("button", name="Stop").click()
        await page.get_by_role("button", name="Yes, stop the plan").click()
        await expect(page.locator(".flash-ok")).to_contain_text("Decision sent: stop the plan")
        await expect(page.locator(f"#{failed_id}")).to_have_count(0)
        passed = gates.filter(has_text="gate passed").first
        passed_id = await passed.get_attribute("id")
        await passed.get_by_role("button", name="Continue to rollout").click()
        await expect(page.locator(".flash-ok")).to_contain_text("Decision sent: continue to rollout")
        await expect(page.locator(f"#{passed_id}")).to_have_count(0)
        # A dismissal is undone.
        await page.locator("#quiet").get_by_role("button", name="Dismiss").first.click()
        await expect(page.locator("#quiet")).not_to_contain_text(quiet.name)
        await expect(page.locator("#set-aside")).to_contain_text(quiet.name)
        await page.locator("#set-aside").get_by_role("button", name="Undo").first.click()
        await expect(page.locator(".flash-ok")).to_contain_text("Back on Today")
        await expect(page.locator("#quiet")).to_contain_text(quiet.name)
        await one_story(page, portal)  # still one story after acting
        # The quiet feed links straight to its partner's delivery console: deliveries, then silence.
        await page.goto(f"{portal}/today")
        quiet_item = page.locator("#quiet article.need", has_text=quiet.name).first
        await quiet_item.get_by_role("link", name="Open the delivery console").click()
        await expect(page.locator("section.console").first).to_be_visible()
        await expect(page.locator("section.console table.deliveries .pill").first).to_have_text("accepted")
        await expect(page.locator("section.console table.last-events")).not_to_have_count(0)

        # No UUID, no command line: on every page of the demo and in the owner's PDF.
        pages = ["/portfolio", "/today", "/calendar", "/digest", "/settings", "/catalog", "/prospects"]
        for clinic_id in ids.values():
            pages += [
                f"/clinics/{clinic_id}{tail}"
                for tail in ("", "/strategy", "/report", "/partners", "/deliveries")
            ]
            pages.append(f"/clinics/{clinic_id}/audit-logging")
        async with platform["portal"].runtime.sessions() as session:
            finished = (await session.exec(select(PortalPlan).where(PortalPlan.phase == "done"))).all()
        pages += [f"/plans/{plan.id}/close-out" for plan in finished]
        for path in pages:
            answer = await page.goto(f"{portal}{path}")
            assert answer is not None and answer.status == 200, path
            text = await page.locator("body").inner_text()
            plain(text, path)
            by_pseudonym = PSEUDONYM.search(text)
            assert by_pseudonym is None, f"{path} names {text[max(0, by_pseudonym.start() - 60) :][:140]!r}"
        planned = [
            ids[clinic.name] for clinic in portfolio(COUNT) if clinic.stage in ("pilot", "gate", "done")
        ]
        owned: list[str] = []
        for clinic_id in planned:
            pdf = await page.request.get(f"{portal}/clinics/{clinic_id}/report.pdf")
            assert pdf.status == 200
            text = "\n".join(sheet.extract_text() for sheet in PdfReader(io.BytesIO(await pdf.body())).pages)
            plain(text, f"the report PDF of {clinic_id}")
            # The owner's report names the plan's owner as the practice knows them.
            flat = " ".join(text.split())
            by_pseudonym = PSEUDONYM.search(flat)
            assert by_pseudonym is None, flat[max(0, by_pseudonym.start() - 80) :][:200]
            if "owned by" in flat:  # a stopped plan's report moves on to the next initiative
                owned.append(clinic_id)
                owner_line = flat[flat.find("owned by") :][:80]
                assert f"owned by {rosters[clinic_id]['physician-1']}" in flat, owner_line
        assert owned  # the plans' owner by name in the owner's report
        await page.context.close()
