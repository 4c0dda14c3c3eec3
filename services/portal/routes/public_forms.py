"""Public forms, no account: a prospect's 5-minute assessment (/p/<token>) and a staff member's
task log on a phone (/t/<token>).

The owning service (intake, audit) keeps the data; the portal renders the pages and calls the
service's public JSON endpoints server-side with the link's token in the X-Faio-Link header. A
link that is expired, forged or revoked gets a page saying to ask the officer for a new one;
each client is rate-limited here (the service limits each link).
"""

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal.officer.actions import for_client, service_api
from services.portal.pages.formats import plural
from services.portal.routes.public_sender import sender_of
from services.portal.routes.web import redirect_with_flash, render
from services.portal.settings import settings_of
from shared.api_client import Call, Json, Refusal, intake
from shared.api_client import audit as audit_api
from shared.public_links import (
    ASK_FOR_A_NEW_LINK,
    LinkPurpose,
    LinkRefused,
    RateLimit,
    RefusalReason,
    TooManyRequests,
    client_address,
    verify_link,
)

router = APIRouter(include_in_schema=False)

# Per phone or browser: a person sends a form every few seconds at most.
PROSPECT_SUBMISSIONS = RateLimit("10/minute", scope="portal-prospect-form")
TASK_LOG_SUBMISSIONS = RateLimit("30/minute", scope="portal-task-log")
STAFF_COOKIE = "faio_task_log_staff"  # the pseudonym picked last time, so the next log is quicker
REFUSAL_TITLES = {
    RefusalReason.EXPIRED: "This link has expired",
    RefusalReason.FORGED: "This link does not work",
    RefusalReason.REVOKED: "This link was withdrawn",
    RefusalReason.USED: "This link was used already",
    RefusalReason.CLOSED: "This survey has closed",
}
REFUSAL_STATUS = {
    RefusalReason.EXPIRED: 410,
    RefusalReason.FORGED: 404,
    RefusalReason.REVOKED: 410,
    RefusalReason.USED: 410,
    RefusalReason.CLOSED: 410,
}


class PublicLinkRefused(Exception):
    """The service refused the link itself (revoked, or expired while the form was open)."""

    def __init__(self, message: str, *, status_code: int = 410) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


# How a public page says its link does not open (why: None when its service said so), and that
# its service did not answer; each form has its own words for these.
LinkRefusedPage = Callable[[Request, RefusalReason | None, str, int], Response]
UnavailablePage = Callable[[Request, Refusal], Response]


async def public_call(request: Request, call: Call[Json]) -> Json:
    """Call a service's public endpoint (the link goes with `call`); PublicLinkRefused or a Refusal."""
    try:
        return await service_api(request).send(for_client(request, call))
    except Refusal as refusal:
        if refusal.status == 0:
            raise Refusal(call.service, "the form could not be reached; try again in a moment") from refusal
        if refusal.status == 422 and ASK_FOR_A_NEW_LINK in refusal.reason:
            raise PublicLinkRefused(refusal.reason) from refusal
        raise


def refused_page(request: Request, reason: RefusalReason | None, message: str, status_code: int) -> Response:
    """What a person whose link does not work sees: why, and what to do."""
    title = REFUSAL_TITLES[reason] if reason else "This link no longer works"
    return render(
        request,
        "public_refused.html",
        {
            "title": title,
            "message": message,
            "reason": reason.value if reason else "refused",
            "what_to_do": "Ask the officer who sent it to you for a new link. Nothing you typed was kept.",
        },
        status_code=status_code,
    )


def unavailable_page(request: Request, error: Refusal) -> Response:
    """The form's service did not answer (or refused for a reason of its own)."""
    return render(
        request,
        "public_refused.html",
        {
            "title": "The form is not available right now",
            "message": error.reason,
            "reason": "unavailable",
            "what_to_do": "Try again in a few minutes; if it keeps failing, tell the officer who sent it.",
        },
        status_code=503 if error.status == 0 else 502,
    )


def _too_many(request: Request, error: TooManyRequests) -> Response:
    response = render(
        request,
        "public_refused.html",
        {
            "title": "Too many tries",
            "message": str(error.detail),
            "reason": "rate-limited",
            "what_to_do": f"Wait {error.retry_after_seconds} seconds, then go back and send the form again.",
        },
        status_code=429,
    )
    response.headers["Retry-After"] = str(error.retry_after_seconds)
    return response


async def _guarded(request: Request, token: str, purpose: LinkPurpose, limit: RateLimit) -> Response | None:
    """The refusal page for a bad link or a client over its limit; None when the form may be sent."""
    refused = _checked_locally(request, token, purpose)
    if refused is not None:
        return refused
    try:
        await limit.hit(client_address(request), request)
    except TooManyRequests as error:
        return _too_many(request, error)
    return None


def _checked_locally(
    request: Request, token: str, purpose: LinkPurpose, link_refused: LinkRefusedPage = refused_page
) -> Response | None:
    """The refusal page for an expired or forged link, before any service is asked."""
    try:
        verify_link(settings_of(request), token, purpose=purpose)
    except LinkRefused as refused:
        return link_refused(request, refused.reason, refused.message, REFUSAL_STATUS[refused.reason])
    return None


async def public_page(
    request: Request,
    token: str,
    purpose: LinkPurpose,
    render_page: Callable[[], Awaitable[Response]],
    *,
    link_refused: LinkRefusedPage = refused_page,
    unavailable: UnavailablePage = unavailable_page,
) -> Response:
    """A public form's page: the link checked here first, then `render_page` (which asks the
    owning service); a link refused here or by the service, or a service that did not answer,
    gets a page saying what to do instead."""
    refused = _checked_locally(request, token, purpose, link_refused)
    if refused is not None:
        return refused
    request.state.sender = await sender_of(request, token, purpose)  # public_base.html names them
    try:
        return await render_page()
    except PublicLinkRefused as error:
        return link_refused(request, None, error.message, error.status_code)
    except Refusal as error:
        return unavailable(request, error)


# --- the prospect's assessment -----------------------------------------------------------------


async def _prospect_page(
    request: Request,
    token: str,
    *,
    form: dict[str, Any] | None = None,
    chosen: dict[str, str] | None = None,
    contact: dict[str, str] | None = None,
    consent: bool = False,
    errors: dict[str, str] | None = None,
    problem: str = "",
    status_code: int = 200,
) -> Response:
    if form is None:
        form = await public_call(request, intake.prospect_form(link=token))
    chosen = chosen or {}
    return render(
        request,
        "public_prospect_form.html",
        {
            "form": form,
            "labels": {dimension["id"]: dimension["label"] for dimension in form["dimensions"]},
            "chosen": chosen,
            "answered": sum(1 for question in form["questions"] if chosen.get(question["id"])),
            "contact": contact or {},
            "consent": consent,
            "errors": errors or {},
            "problem": problem,
        },
        status_code=status_code,
    )


@router.get("/p/{token}")
async def prospect_form(request: Request, token: str) -> Response:
    """The short readiness assessment, with a progress indicator."""
    return await public_page(request, token, LinkPurpose.PROSPECT, lambda: _prospect_page(request, token))


@router.post("/p/{token}")
async def send_prospect_form(request: Request, token: str) -> Response:
    """Score the answers at intake and show them; a missing answer is named on the form."""
    refused = await _guarded(request, token, LinkPurpose.PROSPECT, PROSPECT_SUBMISSIONS)
    if refused is not None:
        return refused
    typed = dict(await request.form())
    chosen = {key[2:]: str(value) for key, value in typed.items() if key.startswith("q_") and str(value)}
    contact = {
        name: str(typed.get(name, "")).strip() for name in ("practice_name", "contact_name", "email", "phone")
    }
    consent = typed.get("consent") == "yes"
    body = {
        "answers": {key: int(value) if value.isdigit() else value for key, value in chosen.items()},
        "consent": consent,
        "contact": {**contact, "email": contact["email"] or None},
        "website": str(typed.get("website", "")),
        "form_stamp": str(typed.get("form_stamp", "")),
    }
    try:
        result = await public_call(request, intake.send_prospect_form(link=token, form=body))
    except PublicLinkRefused as error:
        return refused_page(request, None, error.message, error.status_code)
    except Refusal as error:
        try:
            return await _prospect_form_again(
                request, token, error, body=body, chosen=chosen, contact=contact, consent=consent
            )
        except (Refusal, PublicLinkRefused):
            return unavailable_page(request, error)
    return render(request, "public_prospect_result.html", {"result": result}, status_code=201)


async def _prospect_form_again(
    request: Request,
    token: str,
    error: Refusal,
    *,
    body: dict[str, Any],
    chosen: dict[str, str],
    contact: dict[str, str],
    consent: bool,
) -> Response:
    """The form as the person filled it, with what intake refused marked."""
    if error.status in (0, 429) or error.status >= 500:
        raise error
    form = await public_call(request, intake.prospect_form(link=token))
    form["form_stamp"] = body["form_stamp"] or form["form_stamp"]  # the time already spent counts
    errors = {name.rsplit(".", 1)[-1]: text for name, text in error.fields.items()}
    problem = "Some questions still need an answer (marked below)." if error.fields else error.reason
    if "consent" in error.reason:
        errors["consent"] = "Tick the box to let us keep your contact details, or leave them empty."
        problem = ""
    return await _prospect_page(
        request,
        token,
        form=form,
        chosen=chosen,
        contact=contact,
        consent=consent,
        errors=errors,
        problem=problem,
        status_code=422,
    )


# --- a staff member's task log -----------------------------------------------------------------


def _window_days(form: dict[str, Any]) -> list[str]:
    """The days of the window up to today, today first (what a person logs is mostly today's)."""
    first, last = date.fromisoformat(form["starts_on"]), date.fromisoformat(form["ends_on"])
    today = date.fromisoformat(form["today"])
    day, days = min(today, last), []
    while day >= first:
        days.append(day.isoformat())
        day -= timedelta(days=1)
    return days


async def _task_log_page(
    request: Request,
    token: str,
    *,
    chosen: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    status_code: int = 200,
) -> Response:
    form = await public_call(request, audit_api.task_log_form(link=token))
    days = _window_days(form)
    picked = {"staff_id": request.cookies.get(STAFF_COOKIE, ""), "tools": [], "day": days[0] if days else ""}
    return render(
        request,
        "public_task_log.html",
        {
            "form": form,
            "days": days,
            "chosen": {**picked, **(chosen or {})},
            "errors": errors or {},
            "problem": problem,
        },
        status_code=status_code,
    )


@router.get("/t/{token}")
async def task_log_form(request: Request, token: str) -> Response:
    """Pick your pseudonym, log one task: a few taps."""
    return await public_page(request, token, LinkPurpose.TASK_LOG, lambda: _task_log_page(request, token))


@router.post("/t/{token}")
async def send_task_log(request: Request, token: str) -> Response:
    """Log the task at audit, then the form again (pseudonym kept) for the next one."""
    refused = await _guarded(request, token, LinkPurpose.TASK_LOG, TASK_LOG_SUBMISSIONS)
    if refused is not None:
        return refused
    form = await request.form()
    chosen: dict[str, Any] = {
        name: str(form.get(name, "")).strip()
        for name in ("staff_id", "category", "minutes", "occurrences", "predictability", "day")
    }
    chosen["tools"] = [str(tool) for tool in form.getlist("tools")]
    body: dict[str, Any] = {
        **{name: value for name, value in chosen.items() if value not in ("", [])},
        "website": str(form.get("website", "")),
        "form_stamp": str(form.get("form_stamp", "")),
    }
    try:
        logged = await public_call(request, audit_api.log_task(link=token, task=body))
    except PublicLinkRefused as error:
        return refused_page(request, None, error.message, error.status_code)
    except Refusal as error:
        if error.status == 0 or error.status >= 500:
            return unavailable_page(request, error)
        errors = {name.split(".")[0]: _plain(text) for name, text in error.fields.items()}
        problem = "" if error.fields else error.reason
        try:
            return await _task_log_page(
                request, token, chosen=chosen, errors=errors, problem=problem, status_code=422
            )
        except (Refusal, PublicLinkRefused):
            return unavailable_page(request, error)
    settings = settings_of(request)
    response = redirect_with_flash(
        f"/t/{token}",
        kind="ok",
        text=f"Logged for {logged['staff_id']}: {plural(logged['tasks_logged_that_day'], 'task')} on "
        f"{logged['day']}. Log another, or close this page.",
        settings=settings,
    )
    response.set_cookie(
        STAFF_COOKIE,
        str(logged["staff_id"]),
        max_age=14 * 24 * 3600,
        path="/t/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


FIELD_WORDS = {
    "Field required": "choose one",
    "Input should be a valid integer, unable to parse string as an integer": "enter a whole number",
}


def _plain(text: str) -> str:
    """A validation message in words for a person on a phone."""
    return FIELD_WORDS.get(text, text.removeprefix("Value error, "))
