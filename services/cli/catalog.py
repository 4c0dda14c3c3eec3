"""`faio catalog ...`: the vendors you vetted per category, at roadmap; reviews go to intake."""

from typing import Annotated, Any

import typer

from services.cli.client import JsonOption, TokenOption, call
from services.cli.clinic import NOT_YOURS, ClinicId
from services.cli.render import console, copyable, details, emit, fail, table
from shared.api_client import intake, roadmap

catalog_app = typer.Typer(
    help="The solution catalog: vetted vendors, their integrations, BAA, price and model card.",
    no_args_is_help=True,
)
UNKNOWN_ENTRY = "`faio catalog list` shows your catalog and its ids"
EntryId = Annotated[
    str, typer.Argument(help="The catalog entry's id (see `faio catalog list`).", show_default=False)
]
Opt = typer.Option


def parse_integrations(values: list[str]) -> dict[str, list[str]]:
    """--integrates 'emr=Epic,athenahealth' -> {'emr': ['Epic', 'athenahealth']}."""
    found: dict[str, list[str]] = {}
    for value in values:
        kind, sep, products = value.partition("=")
        if not sep or not kind.strip() or not products.strip():
            fail(
                f"--integrates {value!r} is not KIND=PRODUCT,PRODUCT",
                hint="e.g. --integrates emr=Epic,athenahealth",
                code=2,
            )
        found.setdefault(kind.strip().lower(), []).extend(p.strip() for p in products.split(",") if p.strip())
    return found


def show_entry(entry: dict[str, Any]) -> None:
    card = entry["model_card"]
    rows = [
        ("category", entry["category_label"]),
        ("vendor", f"{entry['vendor']} {entry['product']}".strip()),
        (
            "integrations",
            "; ".join(f"{kind}: {', '.join(names)}" for kind, names in entry["integrations"].items()),
        ),
        ("BAA available", "yes" if entry["baa_available"] else "no"),
        (
            "price",
            f"{entry['price_model']}" + (f" from ${entry['price_usd']:g}" if entry["price_usd"] else ""),
        ),
        ("intended use", card["intended_use"]),
        ("claims", card["claims"]),
        ("evidence", card["evidence"]),
        ("limitations", card["limitations"]),
        ("verified", "yes" if entry["verified"] else "no: a default, check it with the vendor"),
    ]
    console.print(details(f"Catalog entry {entry['id']}", rows))
    copyable("entry id", entry["id"])


@catalog_app.command("list")
def list_catalog(
    *,
    category: Annotated[
        str | None, Opt(help="Only this category, e.g. ai_scribe.", show_default=False)
    ] = None,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Your vetted vendors by category."""
    entries = call(roadmap.catalog(category=category), token=token)

    def human() -> None:
        rows = [
            (
                e["id"],
                e["category_label"],
                e["vendor"],
                ", ".join(f"{k}: {len(v)}" for k, v in e["integrations"].items()),
                "yes" if e["baa_available"] else "no",
                e["price_model"],
                "yes" if e["verified"] else "no",
            )
            for e in entries
        ]
        columns = ("id", "category", "vendor", "integrations", "BAA", "price", "verified")
        console.print(table(f"{len(rows)} vendor(s)", columns, rows))

    emit(entries, as_json=as_json, human=human)


@catalog_app.command("show")
def show(entry_id: EntryId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """One vendor with its model card."""
    entry = call(roadmap.catalog_entry(entry_id=entry_id), token=token, not_found_hint=UNKNOWN_ENTRY)
    emit(entry, as_json=as_json, human=lambda: show_entry(entry))


def _entry_body(current: dict[str, Any], **given: Any) -> dict[str, Any]:
    card = dict(current.get("model_card") or {})
    for name in ("intended_use", "claims", "evidence", "limitations"):
        if given.get(name) is not None:
            card[name] = given[name]
    body: dict[str, Any] = {
        key: current.get(key)
        for key in (
            "category",
            "vendor",
            "product",
            "integrations",
            "baa_available",
            "price_model",
            "price_usd",
        )
        if key in current
    }
    for key in ("category", "vendor", "product", "baa_available", "price_model"):
        if given.get(key) is not None:
            body[key] = given[key]
    if given.get("price") is not None:
        body["price_usd"] = given["price"]
    if given.get("integrates"):
        body["integrations"] = parse_integrations(given["integrates"])
    body["model_card"] = card
    body["verified"] = True
    return body


CategoryOpt = Annotated[
    str | None,
    Opt(
        help="ai_scribe, ai_receptionist, scheduling_assistant, patient_messaging, marketing, "
        "analytics, coding or billing.",
        show_default=False,
    ),
]
VendorOpt = Annotated[str | None, Opt(help="The company, e.g. Nabla.", show_default=False)]
ProductOpt = Annotated[str | None, Opt(help="The product's name.", show_default=False)]
IntegratesOpt = Annotated[
    list[str] | None,
    Opt(
        "--integrates",
        help="KIND=PRODUCT,PRODUCT, repeatable: e.g. emr=Epic,athenahealth.",
        show_default=False,
    ),
]
BaaOpt = Annotated[bool | None, Opt("--baa/--no-baa", help="Does the vendor sign a BAA?", show_default=False)]
PriceModelOpt = Annotated[
    str | None,
    Opt(
        help="per_provider_month, per_location_month, per_minute, per_encounter, flat_month or quote.",
        show_default=False,
    ),
]
PriceOpt = Annotated[float | None, Opt(help="Price in USD for the price model's unit.", show_default=False)]
UseOpt = Annotated[str | None, Opt(help="Model card: what the tool is for.", show_default=False)]
ClaimsOpt = Annotated[str | None, Opt(help="Model card: what the vendor claims.", show_default=False)]
EvidenceOpt = Annotated[
    str | None, Opt(help="Model card: independent evidence and its source.", show_default=False)
]
LimitsOpt = Annotated[str | None, Opt(help="Model card: known limitations and risks.", show_default=False)]


@catalog_app.command("add")
def add(
    *,
    category: CategoryOpt = None,
    vendor: VendorOpt = None,
    product: ProductOpt = None,
    integrates: IntegratesOpt = None,
    baa: BaaOpt = None,
    price_model: PriceModelOpt = None,
    price: PriceOpt = None,
    intended_use: UseOpt = None,
    claims: ClaimsOpt = None,
    evidence: EvidenceOpt = None,
    limitations: LimitsOpt = None,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Add a vendor you vetted (the model card: intended use, claims, evidence, limitations)."""
    if not category or not vendor:
        fail("a vendor needs --category and --vendor", hint="e.g. --category ai_scribe --vendor Suki", code=2)
    body = _entry_body(
        {},
        category=category,
        vendor=vendor,
        product=product,
        integrates=integrates,
        baa_available=baa,
        price_model=price_model,
        price=price,
        intended_use=intended_use,
        claims=claims,
        evidence=evidence,
        limitations=limitations,
    )
    entry = call(roadmap.add_catalog_entry(entry=body), token=token)
    emit(entry, as_json=as_json, human=lambda: show_entry(entry))


@catalog_app.command("edit")
def edit(
    entry_id: EntryId,
    *,
    category: CategoryOpt = None,
    vendor: VendorOpt = None,
    product: ProductOpt = None,
    integrates: IntegratesOpt = None,
    baa: BaaOpt = None,
    price_model: PriceModelOpt = None,
    price: PriceOpt = None,
    intended_use: UseOpt = None,
    claims: ClaimsOpt = None,
    evidence: EvidenceOpt = None,
    limitations: LimitsOpt = None,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Change what you checked with the vendor; the entry is then marked verified."""
    current = call(roadmap.catalog_entry(entry_id=entry_id), token=token, not_found_hint=UNKNOWN_ENTRY)
    body = _entry_body(
        current,
        category=category,
        vendor=vendor,
        product=product,
        integrates=integrates,
        baa_available=baa,
        price_model=price_model,
        price=price,
        intended_use=intended_use,
        claims=claims,
        evidence=evidence,
        limitations=limitations,
    )
    replaced = roadmap.replace_catalog_entry(entry_id=entry_id, entry=body)
    entry = call(replaced, token=token, not_found_hint=UNKNOWN_ENTRY)
    emit(entry, as_json=as_json, human=lambda: show_entry(entry))


@catalog_app.command("remove")
def remove(entry_id: EntryId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """Take a vendor out of your catalog (not while an initiative has chosen it)."""
    call(roadmap.remove_catalog_entry(entry_id=entry_id), token=token, not_found_hint=UNKNOWN_ENTRY)
    emit({"removed": entry_id}, as_json=as_json, human=lambda: console.print(f"removed {entry_id}"))


@catalog_app.command("review")
def review(
    entry_id: EntryId,
    clinic_id: ClinicId,
    *,
    problem: Annotated[str, Opt(help="1. What problem it solves.")] = "",
    owner_role: Annotated[str, Opt(help="3. The staff role that owns it.")] = "",
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """A purchase review at intake for this catalog vendor: its integrations checked against the clinic."""
    draft = call(roadmap.purchase_review_draft(entry_id=entry_id), token=token, not_found_hint=UNKNOWN_ENTRY)
    body = draft | {key: value for key, value in (("problem", problem), ("owner_role", owner_role)) if value}
    verdict = call(
        intake.review_purchase(clinic_id=clinic_id, review=body), token=token, not_found_hint=NOT_YOURS
    )

    def human() -> None:
        rows = [(f["question"], f["status"], f["reason"]) for f in verdict["findings"]]
        console.print(table(f"{verdict['tool']}: {verdict['verdict']}", ("question", "status", "why"), rows))

    emit(verdict, as_json=as_json, human=human)


@catalog_app.command("options")
def options(
    initiative_id: Annotated[str, typer.Argument(help="The initiative's id.", show_default=False)],
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """The catalog's vendors for an initiative, checked against the clinic's systems."""
    found = call(roadmap.vendor_options(initiative_id=initiative_id), token=token)

    def human() -> None:
        rows = [
            (
                o["entry"]["id"],
                o["entry"]["vendor"] + (" (chosen)" if o["chosen"] else ""),
                o["integrates"],
                o["integration_note"],
            )
            for o in found
        ]
        console.print(table(f"{len(rows)} vendor(s)", ("entry id", "vendor", "integrates", "why"), rows))

    emit(found, as_json=as_json, human=human)


@catalog_app.command("choose")
def choose(
    initiative_id: Annotated[str, typer.Argument(help="The initiative's id.", show_default=False)],
    entry_id: EntryId,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Choose the vendor an initiative will use; the integration check is kept with the choice."""
    chosen = call(roadmap.choose_vendor(initiative_id=initiative_id, entry_id=entry_id), token=token)
    emit(
        chosen,
        as_json=as_json,
        human=lambda: console.print(
            f"{chosen['entry']['vendor']}: {chosen['integration_note']}", highlight=False
        ),
    )
