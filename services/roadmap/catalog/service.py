"""The officer's solution catalog: vetted vendors per category, and an initiative's chosen vendor.

Each officer has their own catalog, started from solution_catalog.yaml the first time it is read
(entries seeded unverified). The rules that compare vendors with clinics are in catalog.py.
"""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4, uuid5

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.catalog import rules as catalog
from services.roadmap.catalog.models import CatalogEntry, CatalogSeeded, InitiativeVendor, upsert_statement
from services.roadmap.catalog.rules import CatalogCategory, PriceModel
from shared import clock
from shared.errors import NotFound, Refused

SEED_NAMESPACE = UUID("6f6c7c1e-3b0a-4c55-9a57-2f1d6d0c5a10")


def _now() -> datetime:
    return clock.now()


class ModelCard(BaseModel):
    """A short applied model card (after CHAI's): use, the vendor's claims, the evidence, the limits."""

    model_config = ConfigDict(extra="forbid")

    intended_use: str = PydanticField(default="", max_length=300)
    claims: str = PydanticField(default="", max_length=300, description="what the vendor says it achieves")
    evidence: str = PydanticField(
        default="",
        max_length=400,
        description="independent evidence with its source, or 'vendor case studies'",
    )
    limitations: str = PydanticField(default="", max_length=300)


class CatalogEntryIn(BaseModel):
    """A new vendor, or all of an edited one (PUT replaces)."""

    model_config = ConfigDict(extra="forbid")

    category: CatalogCategory
    vendor: str = PydanticField(min_length=1, max_length=100)
    product: str = PydanticField(default="", max_length=100)
    integrations: dict[str, list[str]] = PydanticField(
        default_factory=dict,
        max_length=10,
        description="kind of clinic system -> supported products, e.g. {'emr': ['athenahealth', 'Epic']}",
    )
    baa_available: bool = False
    price_model: PriceModel = "quote"
    price_usd: float | None = PydanticField(default=None, ge=0, le=1_000_000, allow_inf_nan=False)
    model_card: ModelCard = PydanticField(default_factory=ModelCard)
    verified: bool = True  # an entry the officer types is one they vetted

    @field_validator("vendor")
    @classmethod
    def _vendor_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("vendor must name the company, e.g. Nabla")
        return value.strip()

    @field_validator("integrations")
    @classmethod
    def _integrations_clean(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        cleaned: dict[str, list[str]] = {}
        for kind, products in value.items():
            key = kind.strip().lower()
            if not key or len(key) > 40:
                raise ValueError(
                    "each integration kind is a short system kind such as emr, phone or scheduling"
                )
            if len(products) > 30 or any(len(product) > 100 for product in products):
                raise ValueError(f"{key}: at most 30 products of up to 100 characters each")
            cleaned[key] = [product.strip() for product in products if product.strip()]
        return cleaned


class CatalogEntryPublic(CatalogEntryIn):
    id: UUID
    category_label: str
    updated_at: datetime


class VendorChoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry_id: UUID


class VendorOption(BaseModel):
    """A catalog entry for an initiative, checked against the clinic's systems."""

    entry: CatalogEntryPublic
    integrates: bool | None
    integration_note: str
    chosen: bool


def public(entry: CatalogEntry) -> CatalogEntryPublic:
    return CatalogEntryPublic.model_validate(
        {
            **entry.model_dump(exclude={"officer_id"}),
            "category_label": catalog.label_of(entry.category),
        }
    )


async def officer_catalog(*, session: AsyncSession, officer_id: str) -> list[CatalogEntry]:
    """The officer's catalog by category and vendor; started from the defaults the first time."""
    if await session.get(CatalogSeeded, officer_id) is None:
        marked = await session.exec(
            upsert_statement(session)(CatalogSeeded)
            .values(officer_id=officer_id, seeded_at=_now())
            .on_conflict_do_nothing(index_elements=["officer_id"])
            .returning(CatalogSeeded.officer_id)
        )
        if marked.first() is not None:  # this request marked it first: it seeds (never twice)
            for seed in catalog.seed_entries():
                entry_in = CatalogEntryIn.model_validate({**seed, "verified": False})
                session.add(
                    CatalogEntry(
                        id=uuid5(SEED_NAMESPACE, f"{officer_id}/{seed['category']}/{seed['vendor']}"),
                        officer_id=officer_id,
                        **entry_in.model_dump(mode="json"),
                    )
                )
            await session.flush()
    rows = await session.exec(
        select(CatalogEntry)
        .where(CatalogEntry.officer_id == officer_id)
        .order_by(col(CatalogEntry.category), col(CatalogEntry.vendor))
    )
    return list(rows.all())


async def get_entry(*, session: AsyncSession, entry_id: UUID, officer_id: str) -> CatalogEntry:
    entry = await session.get(CatalogEntry, entry_id)
    if entry is None or entry.officer_id != officer_id:
        raise NotFound(f"catalog entry {entry_id} not found; `faio catalog list` shows your catalog")
    return entry


async def add_entry(*, session: AsyncSession, officer_id: str, entry_in: CatalogEntryIn) -> CatalogEntry:
    await officer_catalog(session=session, officer_id=officer_id)  # seed first: an add is never the seed
    entry = CatalogEntry(id=uuid4(), officer_id=officer_id, **entry_in.model_dump(mode="json"))
    session.add(entry)
    await session.flush()
    return entry


async def replace_entry(
    *, session: AsyncSession, entry_id: UUID, officer_id: str, entry_in: CatalogEntryIn
) -> CatalogEntry:
    entry = await get_entry(session=session, entry_id=entry_id, officer_id=officer_id)
    for name, value in entry_in.model_dump(mode="json").items():
        setattr(entry, name, value)
    entry.updated_at = _now()
    session.add(entry)
    await session.flush()
    return entry


async def remove_entry(*, session: AsyncSession, entry_id: UUID, officer_id: str) -> None:
    entry = await get_entry(session=session, entry_id=entry_id, officer_id=officer_id)
    chosen = (
        await session.exec(select(InitiativeVendor).where(InitiativeVendor.entry_id == entry_id))
    ).first()
    if chosen is not None:
        raise Refused(
            f"{entry.vendor} is the chosen vendor of initiative {chosen.initiative_id}; "
            "choose another vendor for it first"
        )
    await session.delete(entry)
    await session.flush()


async def choose_vendor(
    *, session: AsyncSession, initiative_id: UUID, entry_id: UUID, fit: catalog.VendorFit
) -> None:
    """The initiative's vendor and the integration check at the time of choice (the latest choice wins)."""
    statement = upsert_statement(session)(InitiativeVendor).values(
        initiative_id=initiative_id,
        entry_id=entry_id,
        integrates=fit.integrates,
        integration_note=fit.note[:300],
        chosen_at=_now(),
    )
    changed = {
        name: statement.excluded[name] for name in ("entry_id", "integrates", "integration_note", "chosen_at")
    }
    await session.exec(statement.on_conflict_do_update(index_elements=["initiative_id"], set_=changed))


def summaries(entries: list[CatalogEntry]) -> list[catalog.VendorSummary]:
    return [
        catalog.VendorSummary(
            category=entry.category,
            vendor=entry.vendor,
            integrations=entry.integrations,
            baa_available=entry.baa_available,
        )
        for entry in entries
    ]


def purchase_review_draft(entry: CatalogEntry) -> dict[str, Any]:
    """The body of intake's purchase review for this vendor: the tool and what it integrates with."""
    return {
        "tool": f"{entry.vendor} {entry.product}".strip()[:200],
        "integrates_with": {kind: products[:20] for kind, products in list(entry.integrations.items())[:20]},
        "catalog_entry_id": str(entry.id),
    }
