"""What the solution catalog page shows and takes: a vendor entry of roadmap's catalog as the form's
fields and back (routes/catalog.py reads and writes the catalog through roadmap's API)."""

from typing import Any

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
