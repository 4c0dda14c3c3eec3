"""Signing in and out: spend a one-time link, ask for one by email, end the session."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, EmailStr, ValidationError

from services.portal.officer import actions, mail
from services.portal.officer.sessions import (
    ANONYMOUS_CSRF_COOKIE,
    SESSION_COOKIE,
    csrf_matches,
    new_csrf_token,
    sign_in,
    sign_out,
    utcnow,
)
from services.portal.routes.web import OfficerDep, check_csrf, render
from services.portal.settings import settings_of
from shared.api_client import Refusal
from shared.app import SessionDep
from shared.auth import InvalidToken, verify_sign_in_token
from shared.errors import Refused

router = APIRouter(include_in_schema=False)


class SignInRequest(BaseModel):
    email: EmailStr


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
    try:
        answer = await actions.request_sign_in_link(request, email=str(checked.email).lower())
    except Refusal as error:
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
