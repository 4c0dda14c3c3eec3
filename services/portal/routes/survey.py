"""The staff buy-in survey's public page: opened through a link the officer shared, no account.

The portal holds nothing of the survey: it asks roadmap's public endpoints, server-side, what the
link opens and hands roadmap the answers (roadmap checks the link, the honeypot and the fill time).
The portal adds a per-address rate limit and passes the address on (roadmap limits it too when
it trusts the portal as a proxy: FAIO_FORWARDED_ALLOW_IPS).
Answers are five numbers; the page has no text field, and nothing here logs what was chosen.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.officer.actions import for_client, service_api
from services.portal.routes.public_forms import PublicLinkRefused, public_page
from services.portal.routes.web import render
from shared.api_client import Refusal, roadmap
from shared.public_links import (
    HONEYPOT_FIELD,
    LinkPurpose,
    LinkRefused,
    RateLimit,
    RefusalReason,
    TooManyRequests,
    client_address,
)

router = APIRouter(tags=["buy-in survey (public)"])

# A person sends one survey; a shared phone in the break room a few. A script, many more.
answers_per_address = RateLimit("10/minute", scope="portal-buy-in-survey")
STAGE_WORDS = {
    "before_pilot": "before the pilot starts",
    "gate": "at the end of the pilot",
    "sustain": "now that the tool is in daily use",
}
UNREACHABLE = "the survey could not be reached just now; wait a minute and open the link again"


def _refused(request: Request, message: str, *, status_code: int) -> HTMLResponse:
    """A link that does not open: say why and what to do (ask for a new link)."""
    return render(
        request, "public_survey.html", {"state": "refused", "message": message}, status_code=status_code
    )


def _link_refused(
    request: Request, _reason: RefusalReason | None, message: str, status_code: int
) -> Response:
    return _refused(request, message, status_code=status_code)


def _unreachable(request: Request, _error: Refusal) -> Response:
    return _refused(request, UNREACHABLE, status_code=503)


def _form(
    request: Request,
    survey: dict[str, Any],
    *,
    chosen: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    message: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "state": "form",
        "survey": survey,
        "when": STAGE_WORDS.get(survey["stage"], ""),
        "chosen": chosen or {},
        "problems": problems or {},
        "message": message,
        "honeypot": HONEYPOT_FIELD,
    }
    return render(request, "public_survey.html", context, status_code=status_code)


async def _open(request: Request, token: str) -> dict[str, Any]:
    """What the link opens, from roadmap; PublicLinkRefused, or a Refusal if roadmap did not answer."""
    try:
        return await service_api(request).send(for_client(request, roadmap.open_survey(link=token)))
    except Refusal as refusal:
        if refusal.status == 0 or refusal.status >= 500:
            raise Refusal("roadmap", UNREACHABLE) from refusal
        reason = refusal.reason
        if refusal.fields:  # the token itself is malformed (cut short when copied, say)
            reason = LinkRefused(RefusalReason.FORGED).message
        # 422 from roadmap: expired, revoked or forged; the reason says which and what to do.
        status_code = 410 if refusal.status == 422 else refusal.status
        raise PublicLinkRefused(reason, status_code=status_code) from refusal


@router.get("/survey/{token}", response_class=HTMLResponse)
async def survey_page(request: Request, token: str) -> Response:
    """The five questions, one tap each; anonymous."""

    async def questions() -> Response:
        return _form(request, await _open(request, token))

    return await public_page(
        request,
        token,
        LinkPurpose.BUY_IN_SURVEY,
        questions,
        link_refused=_link_refused,
        unavailable=_unreachable,
    )


def _over_the_limit(request: Request, error: TooManyRequests) -> HTMLResponse:
    wait = error.retry_after_seconds
    message = f"Too many answers from your connection; wait {wait} s and try again."
    response = _refused(request, message, status_code=429)
    response.headers["Retry-After"] = str(wait)
    return response


def _not_taken(refusal: Refusal, keys: list[str]) -> tuple[str, dict[str, str], int]:
    """Why roadmap did not take the answers: the message, per question what was wrong, the status."""
    if refusal.status == 0 or refusal.status >= 500:
        return UNREACHABLE, {}, 503
    if refusal.status == 429:
        wait = refusal.retry_after or "60"
        return f"Many answers arrived through this link just now; wait {wait} s and send again.", {}, 429
    return refusal.reason, {key: text for key, text in refusal.fields.items() if key in keys}, 422


@router.post("/survey/{token}", response_class=HTMLResponse)
async def send_answers(request: Request, token: str) -> Response:
    """Hand the answers to roadmap; a missing answer shows the form again with the question marked."""
    try:
        await answers_per_address.hit(client_address(request), request)
    except TooManyRequests as error:
        return _over_the_limit(request, error)
    form = {key: str(value) for key, value in (await request.form()).items()}
    try:
        survey = await _open(request, token)
    except PublicLinkRefused as error:
        return _link_refused(request, None, error.message, error.status_code)
    except Refusal as error:
        return _unreachable(request, error)
    keys = [question["key"] for question in survey["questions"]]
    chosen = {key: form[key] for key in keys if form.get(key)}
    missing = {key: "choose one answer" for key in keys if key not in chosen}
    if missing:
        message = "Please answer every question (one tap each) and send again."
        return _form(request, survey, chosen=chosen, problems=missing, message=message, status_code=422)
    body: dict[str, Any] = {
        "token": token,
        "form_stamp": form.get("form_stamp", ""),
        HONEYPOT_FIELD: form.get(HONEYPOT_FIELD, ""),
        **{key: int(value) if value.isdigit() else value for key, value in chosen.items()},
    }
    try:
        await service_api(request).send(for_client(request, roadmap.answer_survey(answers=body)))
    except Refusal as refusal:
        message, problems, status_code = _not_taken(refusal, keys)
    else:
        return render(request, "public_survey.html", {"state": "thanks"})
    if form.get("form_stamp") and "form_stamp" not in message:
        survey["form_stamp"] = form["form_stamp"]  # the time they started stays: no new wait to send again
    return _form(request, survey, chosen=chosen, problems=problems, message=message, status_code=status_code)
