"""Every clinic on its own clock: the portal shows times in the clinic's zone, the zone named.

The expected strings are worked out by hand: Los Angeles is UTC-8 in winter (PST) and UTC-7 in
summer (PDT, from 02:00 local on Sunday 2026-03-08); Berlin is UTC+1 in winter (CET).
"""

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from services.portal.officer.mail import notice_text
from services.portal.read_model import projection, times
from services.portal.read_model.models import PortalClinic, PortalNotice
from services.portal.routes.web import TEMPLATES
from services.portal.settings import PortalSettings
from shared import clock, db
from shared.calendar import ClinicCalendar
from shared.events.intake import ClinicRegistered, ClinicUpdated
from shared.events.roadmap import PlanNoticeRaised, PlanPhaseChanged
from tests.unit.test_portal_pages import Portal, portal

__all__ = ["portal"]  # the fixture, used by name

LOS_ANGELES, BERLIN = "America/Los_Angeles", "Europe/Berlin"
CHANGED = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)  # Dec 06 23:30 in Los Angeles, Dec 07 08:30 in Berlin
DUE = datetime(2026, 12, 14, 7, 30, tzinfo=UTC)  # Dec 13 23:30 in Los Angeles, Dec 14 08:30 in Berlin
# The pages are read at 06:00 UTC on Dec 08: still Dec 07 in Los Angeles.
NOW = datetime(2026, 12, 8, 6, tzinfo=UTC)
OFFICER = "officer-tz"


def test_the_filter_shows_the_clinics_clock_and_names_its_zone() -> None:
    assert times.local_time(CHANGED, LOS_ANGELES) == "Dec 06 2026 23:30 PST"
    assert times.local_time(CHANGED, BERLIN) == "Dec 07 2026 08:30 CET"
    assert times.local_time(CHANGED, "UTC") == "Dec 07 2026 07:30 UTC"
    # SQLite gives the time back without its zone: it was stored as UTC.
    assert times.local_time(CHANGED.replace(tzinfo=None), LOS_ANGELES) == "Dec 06 2026 23:30 PST"
    # A date alone is the clinic's date, not UTC's.
    assert times.local_time(CHANGED, LOS_ANGELES, "%b %d") == "Dec 06"
    assert times.local_time(None, LOS_ANGELES) == ""


def test_the_filter_follows_daylight_saving_time() -> None:
    assert times.local_time(datetime(2026, 7, 7, 7, 30, tzinfo=UTC), LOS_ANGELES) == "Jul 07 2026 00:30 PDT"
    # Clocks go forward at 02:00 local (10:00 UTC) on 2026-03-08.
    assert times.local_time(datetime(2026, 3, 8, 9, 30, tzinfo=UTC), LOS_ANGELES) == "Mar 08 2026 01:30 PST"
    assert times.local_time(datetime(2026, 3, 8, 10, 30, tzinfo=UTC), LOS_ANGELES) == "Mar 08 2026 03:30 PDT"


def test_the_templates_know_the_filter() -> None:
    template = TEMPLATES.env.from_string('{{ t|local(zone) }} · {{ t|local(zone, "%b %d") }}')
    assert template.render(t=CHANGED, zone=LOS_ANGELES) == "Dec 06 2026 23:30 PST · Dec 06"


def test_a_mailed_notice_is_due_on_the_clinics_clock() -> None:
    notice = PortalNotice(
        plan_id="plan-1",
        key="plan-1:decision_needed:1",
        clinic_id=uuid4(),
        initiative_id=uuid4(),
        kind="decision_needed",
        urgent=True,
        phase="evaluation",
        message="The pilot ended.",
        due_at=DUE,
        raised_at=CHANGED,
    )
    settings = PortalSettings(environment="test", public_url="http://portal.test")
    _, text = notice_text(notice, "Harbor Orthopedics", settings, zone=LOS_ANGELES)
    assert "Due: 2026-12-13 23:30 PST" in text


async def test_the_clinics_calendar_comes_with_its_profile(portal_sessions: db.SessionFactory) -> None:
    clinic_id = uuid4()
    registered = ClinicRegistered(
        clinic_id=clinic_id,
        officer_id=OFFICER,
        name="Harbor Orthopedics",
        specialty="ortho",
        locations=1,
        calendar=ClinicCalendar(time_zone=LOS_ANGELES, holidays="US-CA"),
    )
    moved = ClinicUpdated(
        clinic_id=clinic_id,
        officer_id=OFFICER,
        name="Harbor Orthopedics",
        specialty="ortho",
        locations=1,
        calendar=ClinicCalendar(time_zone=BERLIN),
        updated_at=CHANGED,
    )
    async with portal_sessions() as session:
        await projection.record_clinic(session=session, event=registered, event_time=CHANGED.replace(day=1))
        await session.commit()
        clinic = await session.get(PortalClinic, clinic_id)
        assert clinic is not None
        assert clinic.calendar() == ClinicCalendar(time_zone=LOS_ANGELES, holidays="US-CA")
        await projection.record_clinic(session=session, event=moved, event_time=moved.updated_at)
        await session.commit()
        await session.refresh(clinic)
    assert clinic.time_zone == BERLIN and clinic.holidays == ""


async def add_clinic_at_the_gate(portal: Portal, *, name: str, zone: str) -> tuple[UUID, str]:
    """A clinic in `zone` whose plan reached the gate at CHANGED, its decision due at DUE."""
    clinic_id, initiative_id, plan_id = uuid4(), uuid4(), f"plan-{uuid4()}"
    async with portal.sessions() as session:
        await projection.record_clinic(
            session=session,
            event=ClinicRegistered(
                clinic_id=clinic_id,
                officer_id=OFFICER,
                name=name,
                specialty="ortho",
                locations=1,
                calendar=ClinicCalendar(time_zone=zone),
            ),
            event_time=CHANGED.replace(day=1),
        )
        await projection.record_phase_change(
            session=session,
            event=PlanPhaseChanged(
                clinic_id=clinic_id,
                initiative_id=initiative_id,
                plan_id=plan_id,
                phase="evaluation",
                previous_phase="pilot",
                changed_at=CHANGED,
            ),
        )
        for kind, due in (("decision_needed", DUE), ("adoption_escalation", None)):
            await projection.record_notice(
                session=session,
                event=PlanNoticeRaised(
                    clinic_id=clinic_id,
                    initiative_id=initiative_id,
                    plan_id=plan_id,
                    key=f"{plan_id}:{kind}",
                    kind=kind,
                    urgent=True,
                    phase="evaluation",
                    message=f"{kind} at {name}",
                    due_at=due,
                    raised_at=CHANGED,
                ),
            )
        await session.commit()
    return clinic_id, plan_id


@pytest.fixture
def at_now() -> Iterator[None]:
    with clock.set_to(NOW):
        yield


@pytest.mark.usefixtures("at_now")
async def test_the_clinic_page_shows_its_own_times_and_names_its_zone(portal: Portal) -> None:
    await portal.sign_in(OFFICER)
    clinic_id, _ = await add_clinic_at_the_gate(portal, name="Harbor Orthopedics", zone=LOS_ANGELES)
    page = (await portal.http.get(f"/clinics/{clinic_id}")).text
    assert "Times in America/Los_Angeles" in page
    assert "Dec 06 2026 23:30 PST" in page  # the timeline
    assert "since Dec 06" in page and "Dec 07 2026 07:30" not in page
    assert re.search(r'class="muted small">Dec 06</span> adoption_escalation', page)  # the notice's date
    report = (await portal.http.get(f"/clinics/{clinic_id}/report")).text
    assert "December 07, 2026" in report  # prepared at 22:00 on Dec 07 in Los Angeles


@pytest.mark.usefixtures("at_now")
async def test_today_and_the_portfolio_show_each_clinic_on_its_own_clock(portal: Portal) -> None:
    await portal.sign_in(OFFICER)
    west, _ = await add_clinic_at_the_gate(portal, name="Harbor Orthopedics", zone=LOS_ANGELES)
    east, _ = await add_clinic_at_the_gate(portal, name="Spree Praxis", zone=BERLIN)
    today = (await portal.http.get("/today")).text
    assert "Dec 13 23:30 PST" in today and "Dec 14 08:30 CET" in today  # the same instant, twice
    assert " UTC" not in today
    escalations = today[today.index('id="escalations"') :]
    assert re.search(r"Harbor Orthopedics</a> — Adoption escalation <span[^>]*>Dec 06<", escalations)
    assert re.search(r"Spree Praxis</a> — Adoption escalation <span[^>]*>Dec 07<", escalations)
    portfolio = (await portal.http.get("/portfolio")).text
    assert "due Dec 13" in row_of(portfolio, west) and "due Dec 14" in row_of(portfolio, east)


def row_of(page: str, clinic_id: UUID) -> str:
    start = page.index(f'data-clinic="{clinic_id}"')
    return page[start : page.index("</tr>", start)]
