"""The officer's solution catalog: vetted vendors per category, and an initiative's chosen vendor.

Each officer has their own catalog, started from solution_catalog.yaml the first time it is read
(entries seeded unverified). The rules that compare vendors with clinics are in rules.py.
"""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4, uuid5

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.catalog import rules as catalog
from services.roadmap.catalog.models import (
    CatalogEntry,
    CatalogEntryIn,
    CatalogEntryPublic,
    CatalogSeeded,
    InitiativeVendor,
)
from services.roadmap.clinics import among_officer_clinics
from services.roadmap.models import Initiative, RoadmapClinic, upsert_statement
from shared import clock
from shared.errors import NotFound, Refused

SEED_NAMESPACE = UUID("6f6c7c1e-3b0a-4c55-9a57-2f1d6d0c5a10")


def _now() -> datetime:
    return clock.now()


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
    entry = await session.get(CatalogEntry, (officer_id, entry_id))
    if entry is None:
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
    choices = select(InitiativeVendor).where(InitiativeVendor.entry_id == entry_id)
    chosen = (
        await session.exec(among_officer_clinics(choices, col(InitiativeVendor.clinic_id), officer_id))
    ).first()
    if chosen is not None:
        raise Refused(
            f"{entry.vendor} is the chosen vendor of initiative {chosen.initiative_id}; "
            "choose another vendor for it first"
        )
    await session.delete(entry)
    await session.flush()


async def choose_vendor(
    *, session: AsyncSession, initiative: Initiative, entry_id: UUID, fit: catalog.VendorFit
) -> None:
    """The initiative's vendor and the integration check at the time of choice (the latest choice wins)."""
    statement = upsert_statement(session)(InitiativeVendor).values(
        clinic_id=initiative.clinic_id,
        initiative_id=initiative.id,
        entry_id=entry_id,
        integrates=fit.integrates,
        integration_note=fit.note[:300],
        chosen_at=_now(),
    )
    changed = {
        name: statement.excluded[name] for name in ("entry_id", "integrates", "integration_note", "chosen_at")
    }
    await session.exec(
        statement.on_conflict_do_update(index_elements=["clinic_id", "initiative_id"], set_=changed)
    )


async def chosen_entry(
    session: AsyncSession, initiative: Initiative
) -> tuple[InitiativeVendor | None, CatalogEntry | None]:
    """The initiative's vendor choice and its entry, from the catalog of the clinic's officer."""
    # Read afresh: the choice may have just been changed by an upsert this session has not seen.
    choice = await session.get(
        InitiativeVendor, (initiative.clinic_id, initiative.id), populate_existing=True
    )
    clinic = await session.get(RoadmapClinic, initiative.clinic_id)
    if choice is None or clinic is None:
        return choice, None
    return choice, await session.get(CatalogEntry, (clinic.officer_id, choice.entry_id))


def summaries(entries: list[CatalogEntry]) -> list[catalog.VendorSummary]:
    return [
        catalog.VendorSummary(
            category=entry.category,
            vendor=entry.vendor,
            integrations=entry.integrations,
            baa_available=entry.baa_available,
            receives_patient_identifiers=entry.receives_patient_identifiers,
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
