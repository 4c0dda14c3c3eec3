"""The officer's week: the calendar on the officer's clock, the Monday digest (through the SMTP sink,
the same items as Today, once a week, opt-out), the settings form, and the money and plural wording."""

import email
import email.policy
import io
import re
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from uuid import UUID, uuid4

from pypdf import PdfReader
from sqlmodel import select

from services.portal.officer import digest_mail
from services.portal.officer.models import PortalOfficer
from services.portal.pages.formats import money, plural
from services.portal.read_model.models import (
    PortalClinic,
    PortalInitiative,
    PortalNotice,
    PortalOpenAudit,
    PortalPlan,
)
from services.portal.routes.report import print_pdf
from services.portal.routes.week import paper_of
from shared.public_links import LinkPurpose, issue_link
from tests.unit import test_portal_pages
from tests.unit.test_portal_pages import Portal

portal = test_portal_pages.portal  # the fixture: the app in process, a mail sink, stand-in services

OFFICER = "officer-week"


async def add_clinics(portal: Portal, now: datetime) -> dict[str, UUID]:
    """A clinic at the gate (a decision due in two days), one in its pilot (ends in four days) with an
    audit ending in three."""
    gate, pilot = uuid4(), uuid4()
    async with portal.sessions() as session:
        for clinic_id, name, phase, since, days in (
            (gate, "Harbor Orthopedics", "evaluation", now - timedelta(days=1), 7.0),
            (pilot, "Lakeside Family", "pilot", now - timedelta(days=10), 14.0),
        ):
            initiative = uuid4()
            session.add(PortalClinic(id=clinic_id, officer_id=OFFICER, name=name, specialty="ortho"))
            session.add(
                PortalInitiative(id=initiative, clinic_id=clinic_id, problem="documentation", kpi="x")
            )
            session.add(
                PortalPlan(
                    id=f"plan-{clinic_id}",
                    clinic_id=clinic_id,
                    initiative_id=initiative,
                    phase=phase,
                    phase_since=since,
                    started_at=now - timedelta(days=60),
                    phase_planned_days=days,
                )
            )
        session.add(
            PortalNotice(
                plan_id=f"plan-{gate}",
                key="gate-1",
                clinic_id=gate,
                initiative_id=uuid4(),
                kind="decision_needed",
                urgent=False,
                phase="evaluation",
                message="The pilot ended: decide.",
                due_at=now + timedelta(days=2),
                raised_at=now - timedelta(hours=20),
            )
        )
        session.add(
            PortalOpenAudit(
                clinic_id=pilot,
                audit_id=uuid4(),
                starts_on=(now - timedelta(days=4)).date(),
                ends_on=(now + timedelta(days=3)).date(),
                opened_at=now - timedelta(days=4),
            )
        )
        await session.commit()
    return {"gate": gate, "pilot": pilot}


def texts(page: str, marker: str) -> list[str]:
    return re.findall(rf'class="{marker}[^"]*"[^>]*data-kind="(\w+)"', page)


async def test_the_calendar_shows_two_weeks_on_the_officers_clock(portal: Portal) -> None:
    csrf = await portal.sign_in(OFFICER)
    await add_clinics(portal, datetime.now(UTC))
    bad = await portal.http.post(
        "/settings", data={"csrf_token": csrf, "time_zone": "Mars/Olympus", "country": "U1"}
    )
    assert bad.status_code == 422
    assert "time_zone: pick a time zone" in bad.text and "country: a two-letter" in bad.text
    saved = await portal.http.post(
        "/settings", data={"csrf_token": csrf, "time_zone": "Asia/Tokyo", "country": "gb", "digest": "on"}
    )
    assert saved.status_code == 303
    page = (await portal.http.get("/calendar")).text
    assert "Asia/Tokyo" in page
    kinds = texts(page, "cal-entry")
    # The gate due, the pilot's end (a gate, and its survey round not opened), the audit's last day.
    assert kinds.count("gate") == 2 and "audit" in kinds and "survey" in kinds
    assert "JST" in page  # times on the officer's clock, the zone named
    assert len(re.findall(r'class="cal-day[^"]*" data-day=', page)) == 14


async def test_the_digest_goes_through_the_sink_with_todays_items_once_a_week(portal: Portal) -> None:
    csrf = await portal.sign_in(OFFICER)
    await add_clinics(portal, datetime.now(UTC))
    await portal.http.post("/today/notice-email", data={"csrf_token": csrf, "email": "dana@clinic.org"})
    today = (await portal.http.get("/today")).text
    on_today = set(re.findall(r'<article class="item need"[^>]*data-clinic="([^"]+)"', today))
    assert len(on_today) == 1

    assert await digest_mail.mail_digests(portal.sessions, portal.settings, any_day=True) == 1
    assert await digest_mail.mail_digests(portal.sessions, portal.settings, any_day=True) == 0  # once a week
    mails = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in portal.mail_dir.glob("*.eml")
    ]
    digests = [m for m in mails if "Your week" in str(m["Subject"])]
    assert len(digests) == 1 and isinstance(digests[0], EmailMessage)
    body = digests[0].get_content()
    needs_part = body.split("What needs you (1)")[1].split("What changed")[0]
    assert "Harbor Orthopedics: Gate decision due" in needs_part
    assert "Lakeside Family" not in needs_part  # not on Today: the same items as Today
    assert "Audit ends" in body and "http://portal.test/settings#digest" in body
    preview = (await portal.http.get("/digest")).text
    assert "Harbor Orthopedics</strong>: Gate decision due" in preview

    await portal.http.post(
        "/settings", data={"csrf_token": csrf, "time_zone": "America/New_York", "country": "US"}
    )
    async with portal.sessions() as session:
        record = await session.get(PortalOfficer, OFFICER)
        assert record is not None and record.digest is False
        record.digest_week = ""
        session.add(record)
        await session.commit()
    assert await digest_mail.mail_digests(portal.sessions, portal.settings, any_day=True) == 0  # opted out


def test_the_digest_is_due_on_monday_morning_on_the_officers_clock() -> None:
    monday_7_tokyo = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)  # Monday Dec 07 07:00 JST
    assert digest_mail.digest_week(monday_7_tokyo, "Asia/Tokyo") == "2026-W50"
    assert digest_mail.digest_week(monday_7_tokyo, "America/New_York") is None  # still Sunday there
    assert digest_mail.digest_week(monday_7_tokyo - timedelta(hours=1), "Asia/Tokyo") is None
    assert date(2026, 12, 7).weekday() == 0


def test_money_and_plurals_read_as_people_write_them() -> None:
    assert money(0.5) == "$0.50"
    assert money(12.25) == "$12.25"
    assert money(1250) == "$1,250"
    assert money(40) == "$40"
    assert plural(1, "clinic") == "1 clinic" and plural(2, "clinic") == "2 clinics"
    assert plural(0, "alert") == "0 alerts"


async def test_the_portfolio_sorts_exports_safe_csv_and_totals_hours_and_money(portal: Portal) -> None:
    await portal.sign_in(OFFICER)
    clinics = await add_clinics(portal, datetime.now(UTC))
    async with portal.sessions() as session:
        session.add(PortalClinic(id=uuid4(), officer_id=OFFICER, name="=HYPERLINK(1)", specialty="@cmd"))
        for initiative in (await session.exec(select(PortalInitiative))).all():
            initiative.hours_per_week, initiative.cost_per_week, initiative.target_change_pct = (
                10.0,
                300.0,
                -20.0,
            )
            session.add(initiative)
        await session.commit()
    by_name = (await portal.http.get("/portfolio?sort=name&order=desc")).text
    order = re.findall(r'class="clinic-name" href="/clinics/[^"]+">([^<]+)<', by_name)
    assert order == ["Lakeside Family", "Harbor Orthopedics", "=HYPERLINK(1)"]
    assert 'aria-sort="descending"' in by_name
    # Two plans at -20 % of 10 h and $300 a week: 4 h and $120 projected; nothing measured yet.
    assert "4.0 h" in by_name and "$120" in by_name and "2 plans at their targets" in by_name
    exported = await portal.http.get("/portfolio.csv?sort=name&order=asc")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0].startswith("Clinic,Specialty,Needs you")
    assert lines[1].startswith("'=HYPERLINK(1),'@cmd,")  # inert in a spreadsheet
    assert len(lines) == 4 and str(clinics["gate"]) not in exported.text


async def test_a_clinic_note_is_kept_and_patient_details_are_refused(portal: Portal) -> None:
    csrf = await portal.sign_in(OFFICER)
    clinic = (await add_clinics(portal, datetime.now(UTC)))["gate"]
    refused = await portal.http.post(
        f"/clinics/{clinic}/note", data={"csrf_token": csrf, "note": "called Jane Doe back on 415-555-0132"}
    )
    assert refused.status_code == 422 and 'id="clinic-note-error">note:' in refused.text
    saved = await portal.http.post(
        f"/clinics/{clinic}/note", data={"csrf_token": csrf, "note": "Owner wants the pilot kept small."}
    )
    assert saved.status_code == 303
    assert "Owner wants the pilot kept small." in (await portal.http.get(f"/clinics/{clinic}")).text
    other = await portal.http.post(f"/clinics/{uuid4()}/note", data={"csrf_token": csrf, "note": "x"})
    assert other.status_code == 404


async def test_bad_addresses_get_portal_pages_and_the_api_keeps_json(portal: Portal) -> None:
    await portal.sign_in(OFFICER)
    for address, code in (
        ("/no-such-page", 404),
        ("/clinics/not-a-clinic", 404),
        (f"/clinics/{uuid4()}", 404),
    ):
        answer = await portal.http.get(address)
        assert answer.status_code == code and answer.headers["content-type"].startswith("text/html"), address
        assert '<a href="/portfolio">Back to your portfolio</a>' in answer.text
    assert (await portal.http.get("/portfolio?sort=" + "x" * 30)).status_code == 422
    assert (await portal.http.get("/v1/no-such")).headers["content-type"].startswith("application/json")
    assert (await portal.http.get("/static/favicon.svg")).status_code == 200


def test_reports_print_on_letter_in_the_us_and_a4_elsewhere() -> None:
    assert paper_of("US") == "letter" and paper_of("ca") == "letter" and paper_of("DE") == "a4"
    page = '<link rel="stylesheet" href="/static/report.css">{}<main><h1>Report</h1></main>'
    letter = page.format('<link rel="stylesheet" href="/static/report-letter.css">')
    sizes = {}
    for name, html in (("letter", letter), ("a4", page.format(""))):
        box = PdfReader(io.BytesIO(print_pdf(html))).pages[0].mediabox
        sizes[name] = (round(float(box.width)), round(float(box.height)))
    assert sizes == {"letter": (612, 792), "a4": (595, 842)}


async def test_a_public_form_names_the_officer_who_sent_the_link(portal: Portal) -> None:
    await portal.sign_in(OFFICER)  # the officer's row, with their name
    portal.intake.status = 503  # the page saying to try again is in the public frame too
    token = issue_link(
        portal.settings,
        purpose=LinkPurpose.PROSPECT,
        link_id=str(uuid4()),
        subject_id=OFFICER,
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    page = await portal.http.get(f"/p/{token}")
    assert page.status_code >= 500 and "from Dana Officer, your AI officer" in page.text
    stranger = issue_link(
        portal.settings,
        purpose=LinkPurpose.PROSPECT,
        link_id=str(uuid4()),
        subject_id="officer-nobody-knows",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    assert "your AI officer</span>" not in (await portal.http.get(f"/p/{stranger}")).text
