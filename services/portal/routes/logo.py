"""The officer's logo: uploaded or removed on the settings page, served to the public forms and the
report (officer/logo.py checks and re-encodes it)."""

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from services.portal.officer import logo
from services.portal.routes.web import OfficerDep, check_csrf, redirect_with_flash
from services.portal.routes.week import settings_form
from services.portal.settings import settings_of
from shared.app import SessionDep
from shared.errors import NotFound

router = APIRouter(include_in_schema=False)
_LOGO_NAME = re.compile(r"([0-9a-f]{64})\.(png|jpg)")
YEAR = 365 * 24 * 3600


@router.get("/logos/{name}")
async def logo_file(name: str, session: SessionDep) -> Response:
    """A logo by its hash: public (the forms a practice opens show it), and never changes."""
    match = _LOGO_NAME.fullmatch(name)
    found = await logo.by_hash(session, match.group(1)) if match else None
    if match is None or found is None or logo.EXTENSIONS[found.content_type] != match.group(2):
        raise NotFound("no such logo")
    return Response(
        content=found.image,
        media_type=found.content_type,
        headers={"Cache-Control": f"public, max-age={YEAR}, immutable"},
    )


@router.post("/settings/logo", response_class=HTMLResponse)
async def upload_logo(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    form = await check_csrf(request, officer)
    upload = form.get("logo")
    data = await upload.read(logo.MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
    try:
        clean = logo.cleaned(data)
    except logo.LogoRefused as refused:
        return await settings_form(
            request, session, officer, errors={"logo": refused.message}, status_code=422
        )
    await logo.keep(session, officer.officer_id, clean)
    text = "Logo saved: the forms your links open and your reports show it."
    return redirect_with_flash("/settings#logo", kind="ok", text=text, settings=settings_of(request))


@router.post("/settings/logo/remove", response_class=HTMLResponse)
async def remove_logo(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    await check_csrf(request, officer)
    removed = await logo.remove(session, officer.officer_id)
    text = "Logo removed: forms and reports show your name only." if removed else "There was no logo."
    return redirect_with_flash("/settings#logo", kind="ok", text=text, settings=settings_of(request))
