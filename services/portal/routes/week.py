"""The officer's week: the calendar (this week and next), the Monday digest as a page (what the mail
holds), and the officer's own settings (time zone, country for the paper size, the digest on or off).
"""

import re
from zoneinfo import available_timezones

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.officer import logo
from services.portal.officer.models import PortalOfficer
from services.portal.officer.sessions import SignedIn, utcnow
from services.portal.pages.digest import digest
from services.portal.pages.week import calendar
from services.portal.routes.web import OfficerDep, check_csrf, redirect_with_flash, render
from services.portal.settings import settings_of
from shared.app import SessionDep

router = APIRouter(include_in_schema=False)
ZONES = sorted(available_timezones() - {"localtime", "Factory"})
# Countries that print on US Letter; everyone else uses A4.
LETTER_COUNTRIES = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "CR", "PA", "DO", "PR"})


async def officer_record(session: AsyncSession, officer: SignedIn) -> PortalOfficer:
    """The officer's own row (made with the defaults on first use: a zone, US, the digest on)."""
    return await session.get(PortalOfficer, officer.officer_id) or PortalOfficer(
        id=officer.officer_id, name=officer.officer_name
    )


def paper_of(country: str) -> str:
    """The paper the officer's reports print on: "letter" or "a4"."""
    return "letter" if country.upper() in LETTER_COUNTRIES else "a4"


@router.get("/calendar", response_class=HTMLResponse)
async def calendar_page(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    record = await officer_record(session, officer)
    shown = await calendar(session, officer.officer_id, zone=record.time_zone, now=utcnow())
    return render(request, "calendar.html", {"calendar": shown}, officer=officer)


@router.get("/digest", response_class=HTMLResponse)
async def digest_page(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    """The Monday digest as it would be mailed now."""
    record = await officer_record(session, officer)
    shown = await digest(
        session,
        officer_id=officer.officer_id,
        officer_name=record.name or officer.officer_name,
        zone=record.time_zone,
        now=utcnow(),
    )
    return render(request, "digest.html", {"digest": shown, "record": record}, officer=officer)


@router.get("/settings", response_class=HTMLResponse)
async def settings_page(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    return await settings_form(request, session, officer)


async def settings_form(
    request: Request,
    session: AsyncSession,
    officer: SignedIn,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    record = await officer_record(session, officer)
    values = typed or {
        "time_zone": record.time_zone,
        "country": record.country,
        "digest": "on" if record.digest else "",
    }
    return render(
        request,
        "settings.html",
        {
            "values": values,
            "zones": ZONES,
            "errors": errors or {},
            "email": record.email,
            "logo_url": logo.url_of(await logo.logo_of(session, officer.officer_id)),
            "max_logo_kb": logo.MAX_BYTES // 1000,
        },
        officer=officer,
        status_code=status_code,
    )


@router.post("/settings", response_class=HTMLResponse)
async def save_settings(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    form = await check_csrf(request, officer)
    typed = {
        "time_zone": str(form.get("time_zone", "")).strip(),
        "country": str(form.get("country", "")).strip().upper(),
        "digest": "on" if form.get("digest") else "",
    }
    errors = {}
    if typed["time_zone"] not in ZONES:
        errors["time_zone"] = "time_zone: pick a time zone from the list, such as America/Chicago"
    if not re.fullmatch(r"[A-Z]{2}", typed["country"]):
        errors["country"] = "country: a two-letter country code, such as US or GB"
    if errors:
        return await settings_form(request, session, officer, errors=errors, typed=typed, status_code=422)
    record = await officer_record(session, officer)
    record.time_zone, record.country, record.digest = (
        typed["time_zone"],
        typed["country"],
        bool(typed["digest"]),
    )
    session.add(record)
    await session.commit()
    text = "Saved. " + ("The digest comes every Monday." if record.digest else "No more Monday digests.")
    return redirect_with_flash("/settings", kind="ok", text=text, settings=settings_of(request))
