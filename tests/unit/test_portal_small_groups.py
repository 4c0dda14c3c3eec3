"""AI use at a clinic of two clinicians is theirs, person by person: the portfolio page, its CSV, the
clinic page, Today's digest and the practice report say so (shared.small_groups) instead of a figure,
while a clinic of eight keeps its figures. Both clinics' AI-assisted share of notes fell the same way."""

import re
from datetime import UTC, datetime
from uuid import UUID, uuid4

from services.portal.pages.activity import per_person
from services.portal.read_model import projection
from services.portal.read_model.activity import record_activity
from services.portal.read_model.models import PortalClinic, PortalClinicActivity, PortalInitiative
from shared.events.kpi import AdoptionWeek, ClinicActivity, FeedHealth, KpiSnapshot
from shared.small_groups import MIN_GROUP, NOT_SHOWN_PER_PERSON
from tests.unit import test_portal_pages
from tests.unit.test_portal_pages import Portal

portal = test_portal_pages.portal  # the fixture: the app in process, a mail sink, stand-in services

OFFICER = "officer-small-groups"
SHARES = [48, 52, 30, 26]  # AI-assisted notes of 80 a week: down 44 % (last two weeks against the two before)
WEEKS = ["2026-W44", "2026-W45", "2026-W46", "2026-W47"]
KPI = "ai_weekly_active_staff"  # the first problem's measure: staff using an AI tool each week


def activity(clinic_id: UUID, *, clinicians: int, now: datetime) -> ClinicActivity:
    today = now.date()
    return ClinicActivity(
        clinic_id=clinic_id,
        as_of=today,
        last_event_day=today,
        feeds=[
            FeedHealth(
                feed="notes",
                last_event_day=today,
                events_last_7_days=80,
                usual_events_per_day=11,
                stale=False,
            )
        ],
        adoption=[
            AdoptionWeek(
                week=week,
                notes_signed=80,
                notes_ai_assisted=assisted,
                ai_active_staff=min(clinicians, 2),
                clinicians=clinicians,
            )
            for week, assisted in zip(WEEKS, SHARES, strict=True)
        ],
    )


async def add_clinics(portal: Portal) -> dict[str, UUID]:
    """A practice of two clinicians and one of eight, with the same fall in AI use and the same
    weekly count of staff using an AI tool (the adoption KPI)."""
    now = datetime.now(UTC)
    clinics = {"Two Doctors Pediatrics": uuid4(), "Harbor Family Medicine": uuid4()}
    async with portal.sessions() as session:
        for (name, clinic_id), clinicians in zip(clinics.items(), (2, 8), strict=True):
            session.add(PortalClinic(id=clinic_id, officer_id=OFFICER, name=name, specialty="pediatrics"))
            await record_activity(session=session, event=activity(clinic_id, clinicians=clinicians, now=now))
            session.add(
                PortalInitiative(
                    id=uuid4(), clinic_id=clinic_id, problem="documentation", kpi=KPI, status="approved"
                )
            )
            for week, value in zip(WEEKS, (2.0, 2.0, 1.0, 1.0), strict=True):
                snapshot = KpiSnapshot(
                    clinic_id=clinic_id, kpi=KPI, week=week, value=value, baseline=0.0, sample_size=1
                )
                await projection.record_snapshot(session=session, event=snapshot, received_at=now)
        await session.commit()
        stored = await session.get(PortalClinicActivity, clinics["Two Doctors Pediatrics"])
    assert stored is not None and stored.adoption[0][4] == 2  # kept from kpi's event
    return clinics


def row_of(page: str, name: str, *, tag: str = "tr") -> str:
    """The HTML of the table row (or list item) naming the clinic."""
    (row,) = [part for part in page.split(f"<{tag}") if name in part]
    return row


def cell_of(page: str, name: str, label: str) -> str:
    """The portfolio's cell `label` of the clinic's row."""
    cell = re.search(rf'data-label="{label}">(.*?)</td>', row_of(page, name), re.S)
    assert cell is not None, name
    return cell.group(1)


def adoption_cell(page: str, name: str) -> str:
    return cell_of(page, name, "Adoption")


def kpi_cell(page: str, name: str) -> str:
    return cell_of(page, name, "Primary KPI")


async def test_the_portfolio_page_and_csv_show_no_ai_use_figure_for_two_clinicians(portal: Portal) -> None:
    assert MIN_GROUP == 3  # the wording below names it
    await portal.sign_in(OFFICER)
    await add_clinics(portal)

    page = (await portal.http.get("/portfolio")).text
    small, large = (
        adoption_cell(page, name) for name in ("Two Doctors Pediatrics", "Harbor Family Medicine")
    )
    assert NOT_SHOWN_PER_PERSON in small and "▼" not in small and "44" not in small
    assert "▼" in large and "44" in large and NOT_SHOWN_PER_PERSON not in large
    # The primary KPI is the staff using AI: at two clinicians, a count of people, so no figure.
    small_kpi, large_kpi = (
        kpi_cell(page, name) for name in ("Two Doctors Pediatrics", "Harbor Family Medicine")
    )
    assert "ai weekly active staff" in small_kpi and NOT_SHOWN_PER_PERSON in small_kpi
    assert 'class="pill' not in small_kpi and "<svg" not in small_kpi
    assert 'class="pill' in large_kpi and NOT_SHOWN_PER_PERSON not in large_kpi

    exported = (await portal.http.get("/portfolio.csv")).text
    (small_line,) = [line for line in exported.splitlines() if line.startswith("Two Doctors")]
    (large_line,) = [line for line in exported.splitlines() if line.startswith("Harbor")]
    assert small_line.count(NOT_SHOWN_PER_PERSON) == 2 and "-44" not in small_line  # KPI value, adoption
    assert (
        ",'-44," in large_line and NOT_SHOWN_PER_PERSON not in large_line
    )  # a leading minus made inert for a spreadsheet


async def test_the_clinic_page_shows_no_ai_use_chart_for_two_clinicians(portal: Portal) -> None:
    await portal.sign_in(OFFICER)
    clinics = await add_clinics(portal)

    small = (await portal.http.get(f"/clinics/{clinics['Two Doctors Pediatrics']}")).text
    large = (await portal.http.get(f"/clinics/{clinics['Harbor Family Medicine']}")).text
    assert f"AI use week by week: {NOT_SHOWN_PER_PERSON}" in small
    assert "adoption-chart" not in small and "Ai weekly active staff" not in small
    assert "adoption-chart" in large and "Ai weekly active staff" in large


async def test_today_and_the_digest_say_ai_use_fell_without_how_far_for_two_clinicians(
    portal: Portal,
) -> None:
    await portal.sign_in(OFFICER)
    await add_clinics(portal)

    today = (await portal.http.get("/today")).text
    small = row_of(today, "Two Doctors Pediatrics", tag="article")
    large = row_of(today, "Harbor Family Medicine", tag="article")
    assert f"AI use fell at the clinic ({NOT_SHOWN_PER_PERSON})" in small and "%" not in small
    assert "AI use fell 44 %" in large
    # The digest (its preview is the mail) names the item, never how far one person's use fell.
    preview = (await portal.http.get("/digest")).text
    small = row_of(preview, "Two Doctors Pediatrics", tag="li")
    assert "adoption falling" in small and "%" not in small and "44" not in small


async def test_the_report_shows_no_latest_adoption_figure_for_two_clinicians(portal: Portal) -> None:
    await portal.sign_in(OFFICER)
    clinics = await add_clinics(portal)
    # Roadmap's part of the report: the first problem is measured by the staff using AI each week.
    first = {
        "problem": "documentation",
        "solution": "ambient scribe",
        "kpi": "ai_weekly_active_staff",
        "cost_per_week": 900.0,
        "hours_per_week": 20.0,
        "money": {"tool_cost_per_week": None, "note": "projected"},
    }
    portal.roadmap.body = {"first": first | {"target_change_pct": 25}, "strategy": {}}

    small = (await portal.http.get(f"/clinics/{clinics['Two Doctors Pediatrics']}/report")).text
    large = (await portal.http.get(f"/clinics/{clinics['Harbor Family Medicine']}/report")).text
    latest = re.compile(r"ai weekly active staff</td>.*?</tr>", re.S)
    small_row, large_row = latest.search(small), latest.search(large)
    assert small_row is not None and large_row is not None, small
    assert NOT_SHOWN_PER_PERSON in small_row.group(0) and "(2026-W47)" not in small_row.group(0)
    assert "1 <span" in large_row.group(0) and "(2026-W47)" in large_row.group(0)


def test_a_week_without_a_clinician_count_is_judged_by_the_staff_using_ai() -> None:
    assert per_person([["2026-W40", 0, 0, 2]])  # four parts: a row kept before kpi counted clinicians
    assert not per_person([["2026-W40", 80, 20, 1, 5]])  # five clinicians sign notes, one used AI
    assert not per_person([["2026-W40", 80, 20, 0, None]])  # no staff named: cannot be judged
    assert per_person([["2026-W40", 80, 20, 1, 1], ["2026-W41", 80, 10, 1, 2]])
    assert not per_person([["2026-W40", 80, 20, 3, 3] for _ in range(2)] + [["2026-W42", 9, 1, 1, 1]])
