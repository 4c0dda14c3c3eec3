"""The officer's solution catalog (vetted vendors by category) and an initiative's chosen vendor."""

from uuid import UUID

from fastapi import APIRouter, status

from services.roadmap import clinics
from services.roadmap.catalog import service
from services.roadmap.catalog.models import (
    CatalogEntryIn,
    CatalogEntryPublic,
    InitiativeVendor,
    VendorChoiceIn,
    VendorOption,
)
from services.roadmap.catalog.rules import CatalogCategory, category_for_problem, label_of, vendor_fit
from services.roadmap.initiatives import repricing
from services.roadmap.initiatives import service as initiatives
from shared.app import SessionDep
from shared.auth import CurrentOfficer
from shared.errors import Refused

router = APIRouter(prefix="/v1")


@router.get("/catalog", response_model=list[CatalogEntryPublic], tags=["catalog"])
async def list_catalog(
    session: SessionDep, officer: CurrentOfficer, category: CatalogCategory | None = None
) -> object:
    """Your vetted vendors by category (started from sensible defaults, marked unverified)."""
    entries = await service.officer_catalog(session=session, officer_id=officer.id)
    await session.commit()
    return [service.public(entry) for entry in entries if category in (None, entry.category)]


@router.post(
    "/catalog", response_model=CatalogEntryPublic, status_code=status.HTTP_201_CREATED, tags=["catalog"]
)
async def add_vendor(entry_in: CatalogEntryIn, session: SessionDep, officer: CurrentOfficer) -> object:
    entry = await service.add_entry(session=session, officer_id=officer.id, entry_in=entry_in)
    await session.commit()
    return service.public(entry)


@router.get("/catalog/{entry_id}", response_model=CatalogEntryPublic, tags=["catalog"])
async def read_vendor(entry_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    return service.public(await service.get_entry(session=session, entry_id=entry_id, officer_id=officer.id))


@router.put("/catalog/{entry_id}", response_model=CatalogEntryPublic, tags=["catalog"])
async def replace_vendor(
    entry_id: UUID, entry_in: CatalogEntryIn, session: SessionDep, officer: CurrentOfficer
) -> object:
    """Replace an entry with what you checked with the vendor (verified unless you say otherwise)."""
    entry = await service.replace_entry(
        session=session, entry_id=entry_id, officer_id=officer.id, entry_in=entry_in
    )
    await session.commit()
    return service.public(entry)


@router.delete("/catalog/{entry_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["catalog"])
async def remove_vendor(entry_id: UUID, session: SessionDep, officer: CurrentOfficer) -> None:
    await service.remove_entry(session=session, entry_id=entry_id, officer_id=officer.id)
    await session.commit()


@router.get("/catalog/{entry_id}/purchase-review", tags=["catalog"])
async def purchase_review_draft(
    entry_id: UUID, session: SessionDep, officer: CurrentOfficer
) -> dict[str, object]:
    """The body of intake's purchase review for this vendor (tool, integrations, catalog entry id)."""
    entry = await service.get_entry(session=session, entry_id=entry_id, officer_id=officer.id)
    return service.purchase_review_draft(entry)


@router.get("/initiatives/{initiative_id}/vendors", response_model=list[VendorOption], tags=["catalog"])
async def vendor_options(initiative_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    """The catalog's vendors for this initiative's problem, checked against the clinic's systems."""
    initiative = await initiatives.get_initiative(
        session=session, initiative_id=initiative_id, officer_id=officer.id
    )
    clinic = await clinics.get_clinic(session=session, clinic_id=initiative.clinic_id, officer_id=officer.id)
    category = category_for_problem(initiative.problem)
    chosen = await session.get(InitiativeVendor, (initiative.clinic_id, initiative.id))
    entries = await service.officer_catalog(session=session, officer_id=officer.id)
    await session.commit()
    options = []
    for entry in entries:
        if category is None or entry.category != category:
            continue
        fit = vendor_fit(
            category=category, vendor=entry.vendor, integrations=entry.integrations, systems=clinic.systems
        )
        options.append(
            VendorOption(
                entry=service.public(entry),
                integrates=fit.integrates,
                integration_note=fit.note,
                chosen=chosen is not None and chosen.entry_id == entry.id,
            )
        )
    options.sort(key=lambda option: (not option.chosen, option.integrates is not True, option.entry.vendor))
    return options


@router.put("/initiatives/{initiative_id}/vendor", response_model=VendorOption, tags=["catalog"])
async def choose_vendor(
    initiative_id: UUID, choice: VendorChoiceIn, session: SessionDep, officer: CurrentOfficer
) -> object:
    """Choose the catalog entry this initiative will use; the integration check is kept with the choice.

    An approved plan is re-priced at the entry's catalog price (unless a tool cost was entered at approval).
    """
    initiative = await initiatives.get_initiative(
        session=session, initiative_id=initiative_id, officer_id=officer.id
    )
    clinic = await clinics.get_clinic(session=session, clinic_id=initiative.clinic_id, officer_id=officer.id)
    entry = await service.get_entry(session=session, entry_id=choice.entry_id, officer_id=officer.id)
    category = category_for_problem(initiative.problem)
    if category != entry.category:
        wanted = label_of(category) if category else "no catalog category"
        raise Refused(
            f"{entry.vendor} is listed under {label_of(entry.category)}, but {initiative.problem} needs "
            f"{wanted}; `faio catalog list --category {category or ''}` shows the fitting vendors"
        )
    fit = vendor_fit(
        category=category, vendor=entry.vendor, integrations=entry.integrations, systems=clinic.systems
    )
    await service.choose_vendor(session=session, initiative=initiative, entry_id=entry.id, fit=fit)
    # Chosen (or changed) after approval: the running plan's tool cost, payback and ROI follow.
    await repricing.reprice_plan(session, initiative.clinic_id, initiative.id)
    await session.commit()
    return VendorOption(
        entry=service.public(entry), integrates=fit.integrates, integration_note=fit.note, chosen=True
    )
