"""The solution catalog pages: the officer's vetted vendors by category, added and edited through
roadmap's API (roadmap owns the catalog; the portal keeps no copy)."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal import actions
from services.portal.sessions import SignedIn
from services.portal.strategy_view import roadmap_json
from services.portal.web import OfficerDep, check_csrf, redirect_with_flash, render, settings_of

router = APIRouter(include_in_schema=False)

CATEGORIES = {
    "ai_scribe": "AI scribe",
    "ai_receptionist": "AI receptionist / phone",
    "scheduling_assistant": "Scheduling assistant",
    "patient_messaging": "Patient messaging",
    "marketing": "Marketing",
    "analytics": "Analytics",
    "coding": "Coding",
    "billing": "Billing",
}
PRICE_MODELS = (
    "per_provider_month",
    "per_location_month",
    "per_minute",
    "per_encounter",
    "flat_month",
    "quote",
)
SYSTEM_KINDS = ("emr", "phone", "scheduling")
CARD_FIELDS = ("intended_use", "claims", "evidence", "limitations")


def entry_body(form: dict[str, Any]) -> dict[str, Any]:
    """The form as roadmap's catalog entry: integrations one line per kind, products comma-separated."""
    price = str(form.get("price_usd", "")).strip()
    return {
        "category": str(form.get("category", "")),
        "vendor": str(form.get("vendor", "")).strip(),
        "product": str(form.get("product", "")).strip(),
        "integrations": {
            kind: [
                name.strip() for name in str(form.get(f"integrates_{kind}", "")).split(",") if name.strip()
            ]
            for kind in SYSTEM_KINDS
            if str(form.get(f"integrates_{kind}", "")).strip()
        },
        "baa_available": form.get("baa_available") == "on",
        "price_model": str(form.get("price_model", "quote")),
        "price_usd": price or None,
        "model_card": {name: str(form.get(name, "")).strip() for name in CARD_FIELDS},
        "verified": True,
    }


def form_of(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry as the form shows it."""
    return {
        **{
            key: entry.get(key)
            for key in ("id", "category", "vendor", "product", "price_model", "baa_available")
        },
        "price_usd": "" if entry.get("price_usd") is None else f"{entry['price_usd']:g}",
        **{
            f"integrates_{kind}": ", ".join(entry.get("integrations", {}).get(kind, []))
            for kind in SYSTEM_KINDS
        },
        **{name: entry.get("model_card", {}).get(name, "") for name in CARD_FIELDS},
    }


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
        entries = (await roadmap_json(request, officer, "/v1/catalog")).get("items", [])
    except actions.ActionRefused as refused:
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
            form = form_of(await roadmap_json(request, officer, f"/v1/catalog/{edit}"))
        except actions.ActionRefused as refused:
            return await _page(request, officer, errors={"form": refused.reason}, status_code=404)
    return await _page(request, officer, form=form)


@router.post("/catalog", response_class=HTMLResponse)
async def save_entry(request: Request, officer: OfficerDep) -> Response:
    """Add a vendor, or (with an entry id) replace one with what the officer checked."""
    form = await check_csrf(request, officer)
    entry_id = str(form.get("entry_id", "")).strip()
    try:
        saved = await actions.as_officer(
            request,
            officer,
            service="roadmap",
            method="PUT" if entry_id else "POST",
            path=f"/v1/catalog/{UUID(entry_id)}" if entry_id else "/v1/catalog",
            body=entry_body(form),
        )
    except (actions.ActionRefused, ValueError) as refused:
        fields = refused.fields if isinstance(refused, actions.ActionRefused) else {}
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
    return await actions.act_and_confirm(
        request,
        officer,
        service="roadmap",
        method="DELETE",
        path=f"/v1/catalog/{entry_id}",
        back="/catalog",
        refused="Not removed",
        done="Vendor removed.",
    )
