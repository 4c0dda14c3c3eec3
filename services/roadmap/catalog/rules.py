"""The solution catalog's rules, as pure functions: categories, which audit work they fit, integration fit.

The vendors themselves are data the officer edits (service.py); the defaults a new officer
starts from are in solution_catalog.yaml. Nothing here touches a database.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from services.roadmap.clinics import normalise_category

CatalogCategory = Literal[
    "ai_scribe",
    "ai_receptionist",
    "scheduling_assistant",
    "patient_messaging",
    "marketing",
    "analytics",
    "coding",
    "billing",
]
PriceModel = Literal[
    "per_provider_month", "per_location_month", "per_minute", "per_encounter", "flat_month", "quote"
]


@dataclass(frozen=True)
class CategoryInfo:
    """A category of the method: its label and the kind of clinic system its tools must talk to."""

    label: str
    system: str  # emr, phone or scheduling: the clinic system the integration check compares


CATEGORIES: dict[CatalogCategory, CategoryInfo] = {
    "ai_scribe": CategoryInfo("AI scribe", "emr"),
    "ai_receptionist": CategoryInfo("AI receptionist / phone", "phone"),
    "scheduling_assistant": CategoryInfo("Scheduling assistant", "scheduling"),
    "patient_messaging": CategoryInfo("Patient messaging", "emr"),
    "marketing": CategoryInfo("Marketing", "scheduling"),
    "analytics": CategoryInfo("Analytics", "emr"),
    "coding": CategoryInfo("Coding", "emr"),
    "billing": CategoryInfo("Billing", "emr"),
}

# The audit's task categories -> the catalog category whose tools take that work over.
FOR_AUDIT_CATEGORY: dict[str, CatalogCategory] = {
    "documentation": "ai_scribe",
    "follow_up_calls": "ai_receptionist",
    "appointment_scheduling": "scheduling_assistant",
    "referral_coordination": "scheduling_assistant",
    "patient_communication": "patient_messaging",
    "marketing": "marketing",
    "billing": "billing",
    "insurance_verification": "billing",
}


def label_of(category: str) -> str:
    info = next((info for name, info in CATEGORIES.items() if name == category), None)
    return info.label if info else category.replace("_", " ")


SEED_FILE = Path(__file__).with_name("solution_catalog.yaml")


def category_for_problem(problem: str) -> CatalogCategory | None:
    """The catalog category for an audit category (an initiative's problem), if the method has one."""
    return FOR_AUDIT_CATEGORY.get(normalise_category(problem))


@dataclass(frozen=True)
class VendorFit:
    """Does a vendor's supported systems include the clinic's system of the kind its category needs."""

    integrates: bool | None  # None: the clinic's systems are not recorded
    note: str


def vendor_fit(
    *,
    category: CatalogCategory,
    vendor: str,
    integrations: Mapping[str, list[str]],
    systems: Mapping[str, str],
) -> VendorFit:
    """The integration check: the vendor's supported systems against the clinic's own (case-insensitive)."""
    kind = CATEGORIES[category].system
    clinic = {key.strip().lower(): value for key, value in systems.items()}
    if not clinic:
        return VendorFit(None, "the clinic's systems are not recorded yet (add them to the clinic profile)")
    if kind not in clinic:
        return VendorFit(False, f"the clinic has no {kind} system on record (add it to the clinic profile)")
    supported = [name.strip() for name in integrations.get(kind, [])]
    if clinic[kind].strip().lower() in {name.lower() for name in supported}:
        return VendorFit(True, f"{vendor} supports the clinic's {kind} ({clinic[kind]})")
    listed = ", ".join(supported) or "none listed"
    return VendorFit(False, f"the clinic's {kind} is {clinic[kind]}; {vendor} supports {listed}")


@dataclass(frozen=True)
class VendorSummary:
    """What the roadmap's proposals need of one catalog entry."""

    category: str
    vendor: str
    integrations: Mapping[str, list[str]]
    baa_available: bool
    receives_patient_identifiers: bool = True


def category_fit(
    *, category: CatalogCategory, vendors: Iterable[VendorSummary], systems: Mapping[str, str]
) -> VendorFit:
    """Across the officer's vetted vendors of a category: which ones integrate with the clinic."""
    listed = [vendor for vendor in vendors if vendor.category == category]
    label = CATEGORIES[category].label
    if not listed:
        return VendorFit(None, f"no {label} vendor in your catalog yet (add one to your catalog)")
    fits = [
        (
            vendor,
            vendor_fit(
                category=category, vendor=vendor.vendor, integrations=vendor.integrations, systems=systems
            ),
        )
        for vendor in listed
    ]
    # A BAA is needed only by a tool that receives patient identifiers.
    matching = [
        vendor.vendor
        for vendor, fit in fits
        if fit.integrates and (vendor.baa_available or not vendor.receives_patient_identifiers)
    ]
    if matching:
        return VendorFit(True, f"catalog: {', '.join(matching)} integrate(s) and sign(s) a BAA or need none")
    if all(fit.integrates is None for _vendor, fit in fits):
        return fits[0][1]
    without_baa = [vendor.vendor for vendor, fit in fits if fit.integrates]
    if without_baa:
        return VendorFit(False, f"catalog: {', '.join(without_baa)} integrate(s) but offer no BAA")
    return VendorFit(False, f"catalog: no {label} vendor supports it; {fits[0][1].note}")


@cache
def seed_entries() -> tuple[dict[str, Any], ...]:
    """The catalog a new officer starts from (unverified until the officer reviews each entry)."""
    loaded = yaml.safe_load(SEED_FILE.read_text())
    entries: list[dict[str, Any]] = loaded["vendors"]
    return tuple(entries)
