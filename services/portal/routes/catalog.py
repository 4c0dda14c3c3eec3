"""The solution catalog pages: the officer's vetted vendors by category, added and edited through
roadmap's API (roadmap owns the catalog; the portal keeps no copy)."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.officer import actions
from services.portal.officer.sessions import SignedIn
from services.portal.pages.catalog import (
    CARD_FIELDS,
    CATEGORIES,
    PRICE_MODELS,
    SYSTEM_KINDS,
    entry_body,
    form_of,
)
from services.portal.routes.web import OfficerDep, act_and_confirm, check_csrf, redirect_with_flash, render
from services.portal.settings import settings_of
from shared.api_client import Refusal, roadmap

router = APIRouter(include_in_schema=False)


async def _page(
    request: Request,
    officer: SignedIn,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    entries: list[dict[str, Any]] = []
    problem = ""
    try:
        entries = await actions.as_officer(request, officer, roadmap.catalog())
    except Refusal as refused:
        problem = f"The catalog is not available: {refused.reason}"
        status_code = 502
    by_category = {key: [e for e in entries if e["category"] == key] for key in CATEGORIES}
    return render(
        request,
        "catalog.html",
        {
            "active": "catalog",
            "categories": CATEGORIES,
            "by_category": by_category,
            "price_models": PRICE_MODELS,
            "system_kinds": SYSTEM_KINDS,
            "card_fields": CARD_FIELDS,
            "form": form or {},
            "errors": errors or {},
            "problem": problem,
        },
        officer=officer,
        status_code=status_code,
    )


@router.get("/catalog", response_class=HTMLResponse)
async def catalog_page(request: Request, officer: OfficerDep, edit: UUID | None = None) -> Response:
    form: dict[str, Any] = {}
    if edit is not None:
        try:
            form = form_of(await actions.as_officer(request, officer, roadmap.catalog_entry(entry_id=edit)))
        except Refusal as refused:
            return await _page(request, officer, errors={"form": refused.reason}, status_code=404)
    return await _page(request, officer, form=form)


@router.post("/catalog", response_class=HTMLResponse)
async def save_entry(request: Request, officer: OfficerDep) -> Response:
    """Add a vendor, or (with an entry id) replace one with what the officer checked."""
    form = await check_csrf(request, officer)
    entry_id = str(form.get("entry_id", "")).strip()
    try:
        entry = entry_body(form)
        saving = (
            roadmap.replace_catalog_entry(entry_id=UUID(entry_id), entry=entry)
            if entry_id
            else roadmap.add_catalog_entry(entry=entry)
        )
        saved = await actions.as_officer(request, officer, saving)
    except (Refusal, ValueError) as refused:
        fields = refused.fields if isinstance(refused, Refusal) else {}
        errors = {name.split(".")[0]: text for name, text in fields.items()} or {"form": str(refused)}
        return await _page(request, officer, form={**form, "id": entry_id}, errors=errors, status_code=422)
    return redirect_with_flash(
        "/catalog",
        kind="ok",
        text=f"{saved.get('vendor', 'Vendor')} saved ({CATEGORIES.get(saved.get('category', ''), '')}).",
        settings=settings_of(request),
    )


@router.post("/catalog/{entry_id}/remove", response_class=HTMLResponse)
async def remove_entry(request: Request, entry_id: UUID, officer: OfficerDep) -> Response:
    await check_csrf(request, officer)
    return await act_and_confirm(
        request,
        officer,
        roadmap.remove_catalog_entry(entry_id=entry_id),
        back="/catalog",
        refused="Not removed",
        done="Vendor removed.",
    )
