"""The portal's pages: sign-in, portfolio, clinic, today. Thin: read the model, render a template."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, EmailStr, ValidationError

from services.portal import actions, charts, clinic_view, mail
from services.portal.models import PortalOfficer
from services.portal.portfolio import STAGES, Filters, portfolio
from services.portal.sessions import (
    ANONYMOUS_CSRF_COOKIE,
    SESSION_COOKIE,
    SignedIn,
    csrf_matches,
    new_csrf_token,
    sign_in,
    sign_out,
    utcnow,
)
from services.portal.today import today
from services.portal.web import OfficerDep, check_csrf, redirect_with_flash, render, settings_of
from shared.app import SessionDep
from shared.auth import InvalidToken, verify_sign_in_token
from shared.errors import Refused

router = APIRouter(include_in_schema=False)
# Rows shown before "show all": the most in need come first, the rest one click away.
PAGE_ROWS = 100


class SignInRequest(BaseModel):
    email: EmailStr


@router.get("/")
async def home() -> Response:
    return RedirectResponse("/portfolio", status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, session: SessionDep, token: str | None = None) -> Response:
    """With ?token=: spend the one-time link and open a session. Without: ask for a link by email."""
    settings = settings_of(request)
    if token is None:
        return _sign_in_form(request, status_code=200)
    try:
        session_id, _officer = await sign_in(session=session, settings=settings, token=token, now=utcnow())
    except Refused as error:
        return _sign_in_form(request, problem=error.message, status_code=400)
    response = RedirectResponse("/portfolio", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


def _sign_in_form(
    request: Request,
    *,
    problem: str = "",
    errors: dict[str, str] | None = None,
    email: str = "",
    sent: str = "",
    status_code: int,
) -> Response:
    csrf = request.cookies.get(ANONYMOUS_CSRF_COOKIE) or new_csrf_token()
    response = render(
        request,
        "sign_in.html",
        {"problem": problem, "errors": errors or {}, "email": email, "sent": sent, "csrf_token": csrf},
        status_code=status_code,
    )
    response.set_cookie(
        ANONYMOUS_CSRF_COOKIE, csrf, httponly=True, samesite="lax", secure=settings_of(request).secure_cookies
    )
    return response


@router.post("/sign-in/email", response_class=HTMLResponse)
async def request_sign_in_link(request: Request, session: SessionDep) -> Response:
    """Ask intake for a one-time link for this email and mail it; the answer never says who exists."""
    settings = settings_of(request)
    form = dict(await request.form())
    email = str(form.get("email", "")).strip()
    if not csrf_matches(request.cookies.get(ANONYMOUS_CSRF_COOKIE), str(form.get("csrf_token", ""))):
        return _sign_in_form(
            request, problem="this form expired; please try again", email=email, status_code=400
        )
    try:
        checked = SignInRequest(email=email)
    except ValidationError:
        return _sign_in_form(
            request,
            errors={"email": "enter the email address you were registered with, e.g. name@clinic.org"},
            email=email,
            status_code=422,
        )
    clients = request.app.state.service_http
    try:
        answer = await actions.request_sign_in_link(clients, settings, email=str(checked.email).lower())
    except actions.ActionRefused as error:
        if error.status == 404:
            answer = None
        else:
            return _sign_in_form(
                request, problem=f"no link could be made: {error.reason}", email=email, status_code=502
            )
    if answer is not None:
        try:
            officer, _jti, _expires = verify_sign_in_token(settings, answer)
        except InvalidToken:
            return _sign_in_form(
                request, problem="intake gave a link this portal cannot read", status_code=502
            )
        await actions.remember_email(
            session, officer_id=officer.id, name=officer.name, email=str(checked.email)
        )
        link = f"{settings.public_url}/sign-in?token={answer}"
        try:
            await mail.send_sign_in_link(settings, to=str(checked.email), link=link)
        except OSError as error:
            return _sign_in_form(
                request,
                problem=f"the mail server did not take the message ({error}); try again shortly",
                status_code=502,
            )
    return _sign_in_form(
        request,
        sent=f"If {checked.email} belongs to an officer, a sign-in link is on its way. "
        "It works once, for 15 minutes.",
        status_code=200,
    )


@router.post("/sign-out")
async def sign_out_page(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    await check_csrf(request, officer)
    await sign_out(session=session, session_id=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/portfolio", response_class=HTMLResponse)
async def portfolio_page(
    *,
    request: Request,
    session: SessionDep,
    officer: OfficerDep,
    specialty: Annotated[str, Query(max_length=100)] = "",
    stage: Annotated[str, Query(max_length=40)] = "",
    attention: Annotated[str, Query(max_length=5)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    show: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    filters = Filters(
        specialty=specialty, stage=stage if stage in STAGES else "", needs_attention=attention == "1", q=q
    )
    rows, specialties = await portfolio(
        session=session, officer_id=officer.officer_id, filters=filters, now=utcnow()
    )
    return render(
        request,
        "portfolio.html",
        {
            "rows": rows if show == "all" else rows[:PAGE_ROWS],
            "total": len(rows),
            "specialties": specialties,
            "stages": STAGES,
            "filters": filters,
            "funnel": charts.funnel(rows),
            "needing": sum(1 for row in rows if row.attention_score > 0),
        },
        officer=officer,
    )


@router.get("/clinics/{clinic_id}", response_class=HTMLResponse)
async def clinic_page(
    request: Request, clinic_id: UUID, session: SessionDep, officer: OfficerDep
) -> Response:
    story = await clinic_view.clinic_story(
        session=session, clinic_id=clinic_id, officer_id=officer.officer_id, now=utcnow()
    )
    return render(request, "clinic.html", {"story": story, "errors": {}, "form": {}}, officer=officer)


@router.get("/today", response_class=HTMLResponse)
async def today_page(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    return await _today(request, session, officer)


async def _today(
    request: Request,
    session: SessionDep,
    officer: SignedIn,
    *,
    errors: dict[str, str] | None = None,
    typed: str | None = None,
    status_code: int = 200,
) -> Response:
    items = await today(session=session, officer_id=officer.officer_id, now=utcnow())
    record = await session.get(PortalOfficer, officer.officer_id)
    address = record.email if record is not None else None
    return render(
        request,
        "today.html",
        {
            "today": items,
            "notice_email": typed if typed is not None else (address or ""),
            "errors": errors or {},
        },
        officer=officer,
        status_code=status_code,
    )


@router.post("/today/notice-email", response_class=HTMLResponse)
async def set_notice_email(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    """Where urgent notices (a decision due, an escalation) are mailed for this officer."""
    form = await check_csrf(request, officer)
    typed = str(form.get("email", "")).strip()
    try:
        checked = SignInRequest(email=typed)
    except ValidationError:
        problem = "enter an email address such as name@clinic.org; urgent notices are mailed there"
        return await _today(
            request, session, officer, errors={"email": problem}, typed=typed, status_code=422
        )
    await actions.remember_email(
        session, officer_id=officer.officer_id, name=officer.officer_name, email=str(checked.email)
    )
    return redirect_with_flash(
        "/today",
        kind="ok",
        text=f"Urgent notices will be mailed to {checked.email}.",
        settings=settings_of(request),
    )
