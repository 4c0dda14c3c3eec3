"""What every portal route shares: templates, the signed-in officer, CSRF checks, flash messages, and
acting as the officer then saying what happened."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from services.portal.officer import actions, staff
from services.portal.officer.sessions import (
    SESSION_COOKIE,
    SessionEnded,
    SignedIn,
    csrf_matches,
    signed_in_officer,
    utcnow,
)
from services.portal.pages import charts, formats, rules
from services.portal.pages.wording import readable, without_commands
from services.portal.read_model.times import local_time
from services.portal.settings import PortalSettings, settings_of
from shared.api_client import Call, Refusal
from shared.app import SessionDep
from shared.errors import Refused
from shared.small_groups import NOT_SHOWN_PER_PERSON

TEMPLATES = Jinja2Templates(directory=Path(__file__).parents[1] / "templates")
STATIC_DIR = Path(__file__).parents[1] / "static"  # served at /static
TEMPLATES.env.globals.update(
    rules=rules.RULES,
    sparkline=charts.sparkline,
    readiness_colour=rules.readiness_colour,
    not_shown_per_person=NOT_SHOWN_PER_PERSON,  # a clinic's AI use when it is one or two people's
)
TEMPLATES.env.filters["tojson_attr"] = lambda value: json.dumps(value, separators=(",", ":"))
# Times on a clinic's own clock: {{ moment|local(zone) }} names the zone, {{ moment|local(zone, "%b %d") }}
# gives the clinic's date.
TEMPLATES.env.filters["local"] = local_time
# Other services' texts with people by name and no command lines: {{ text|readable(officer) }}.
TEMPLATES.env.filters["readable"] = readable
# "$0.50", "$1,250"; "1 clinic", "2 clinics": {{ amount|money }}, {{ n|plural("clinic") }}.
TEMPLATES.env.filters["money"] = formats.money
TEMPLATES.env.filters["plural"] = formats.plural
# A staff pseudonym as the officer knows the person: {{ owner|person(story.names) }}.
TEMPLATES.env.filters["person"] = staff.named
TEMPLATES.env.finalize = without_commands
FLASH_COOKIE = "faio_portal_flash"
T = TypeVar("T")


class SignInRequired(Exception):
    """No live session: the page answers with a redirect to the sign-in page, saying why (`reason`)
    when the session was ended rather than missing or expired."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class CsrfRejected(Refused):
    def __init__(self) -> None:
        super().__init__("this form expired or came from another site; reload the page and try again")


async def require_officer(request: Request, session: SessionDep) -> SignedIn:
    """The signed-in officer, or a redirect to /sign-in."""
    try:
        officer = await signed_in_officer(
            session=session,
            revoked=request.app.state.revoked_tokens,
            session_id=request.cookies.get(SESSION_COOKIE),
            now=utcnow(),
        )
    except SessionEnded as ended:
        raise SignInRequired(str(ended)) from ended
    if officer is None:
        raise SignInRequired
    return officer


OfficerDep = Annotated[SignedIn, Depends(require_officer)]


async def check_csrf(request: Request, officer: SignedIn) -> dict[str, Any]:
    """The submitted form, once its CSRF token matches the session's."""
    form = dict(await request.form())
    if not csrf_matches(officer.csrf_token, str(form.get("csrf_token", ""))):
        raise CsrfRejected
    return form


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    officer: SignedIn | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    flash = None
    if FLASH_COOKIE in request.cookies:
        try:
            flash = json.loads(request.cookies[FLASH_COOKIE])
        except ValueError:
            flash = None
    response = TEMPLATES.TemplateResponse(
        request, template, {"officer": officer, "flash": flash, **context}, status_code=status_code
    )
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE)
    return response


def redirect_with_flash(url: str, *, kind: str, text: str, settings: PortalSettings) -> Response:
    """303 to `url`, carrying a one-shot message the next page shows (what happened, or why not)."""
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLASH_COOKIE,
        json.dumps({"kind": kind, "text": text}),
        max_age=60,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


async def act_and_confirm(
    request: Request,
    officer: SignedIn,
    call: Call[T],
    *,
    back: str,
    refused: str,
    done: str | Callable[[T], str],
) -> Response:
    """Send `call` as the officer, then go `back` saying what happened (`done`, or made from the
    service's answer) or why not (`refused`, followed by the service's own reason)."""
    settings = settings_of(request)
    try:
        answer = await actions.as_officer(request, officer, call)
    except Refusal as refusal:
        return redirect_with_flash(back, kind="error", text=f"{refused}: {refusal.reason}", settings=settings)
    text = done if isinstance(done, str) else done(answer)
    return redirect_with_flash(back, kind="ok", text=text, settings=settings)
