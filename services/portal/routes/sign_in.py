"""Signing in and out: spend a one-time link, ask for one by email, end the session."""

import logging
import math
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, EmailStr, ValidationError
from starlette.background import BackgroundTask

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
from services.portal.settings import PortalSettings, settings_of
from shared.api_client import Refusal
from shared.app import SessionDep
from shared.auth import InvalidToken, verify_sign_in_token
from shared.errors import Refused
from shared.public_links import RateLimit, TooManyRequests, client_address

log = logging.getLogger(__name__)

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
        session_id, _officer = await sign_in(
            session=session,
            settings=settings,
            revoked=request.app.state.revoked_tokens,
            token=token,
            now=utcnow(),
        )
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
async def request_sign_in_link(request: Request) -> Response:
    """Email a one-time link. The answer and its timing never say who is an officer: intake is
    asked and the mail sent after the answer has gone out (a background task), and the limits
    count every address and every client alike."""
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
    limits: SignInLimits = request.app.state.sign_in_limits
    try:
        await limits.per_client.hit(client_address(request), request)
        await limits.per_address.hit(str(checked.email).lower(), request)
    except TooManyRequests as error:
        wait = f"wait {math.ceil(error.retry_after_seconds / 60)} minutes"
        answer = _sign_in_form(
            request,
            problem=f"Too many sign-in links were asked for; {wait} and try again. Links already sent "
            "still work for 15 minutes.",
            email=email,
            status_code=429,
        )
        answer.headers["Retry-After"] = str(error.retry_after_seconds)
        return answer
    answer = _sign_in_form(
        request,
        sent=f"If {checked.email} belongs to an officer, a sign-in link is on its way. "
        "It works once, for 15 minutes.",
        status_code=200,
    )
    answer.background = BackgroundTask(mail_sign_in_link, request, email=str(checked.email))
    return answer


async def mail_sign_in_link(request: Request, *, email: str) -> None:
    """Ask intake for this address's link and mail it; nothing is said when nobody has it.

    Runs after the page was answered, so neither the answer nor its time tells who is an officer.
    """
    settings = settings_of(request)
    try:
        token = await actions.request_sign_in_link(request, email=email.lower())
        officer, _jti, _expires = verify_sign_in_token(settings, token)
    except Refusal as error:
        if error.status != 404:  # 404: not an officer's address
            log.warning("no sign-in link could be made: %s", error.reason)
        return
    except InvalidToken:
        log.warning("intake gave a sign-in link this portal cannot read")
        return
    async with request.app.state.runtime.sessions() as session:
        await actions.remember_email(session, officer_id=officer.id, name=officer.name, email=email)
    try:
        await mail.send_sign_in_link(settings, to=email, link=f"{settings.public_url}/sign-in?token={token}")
    except OSError as error:
        log.warning("the sign-in link was not mailed: %s", error)


@dataclass(frozen=True)
class SignInLimits:
    """Links asked for by email: per client (any address) and per address (any client)."""

    per_client: RateLimit
    per_address: RateLimit

    @classmethod
    def of(cls, settings: PortalSettings) -> "SignInLimits":
        return cls(
            per_client=RateLimit(settings.sign_in_requests_per_client, scope="sign-in-client"),
            per_address=RateLimit(settings.sign_in_links_per_address, scope="sign-in-address"),
        )


@router.post("/sign-out")
async def sign_out_page(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    await check_csrf(request, officer)
    await sign_out(session=session, session_id=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
