"""Roadmap's HTTP routes for the strategy map and the solution catalog: thin, as in api.py."""

from uuid import UUID

from fastapi import APIRouter, status

from services.roadmap import practice_report as practice_report_data
from services.roadmap.catalog import service as catalog_store
from services.roadmap.catalog.models import InitiativeVendor
from services.roadmap.catalog.rules import CatalogCategory, category_for_problem, label_of, vendor_fit
from services.roadmap.catalog.service import (
    CatalogEntryIn,
    CatalogEntryPublic,
    VendorChoiceIn,
    VendorOption,
)
from services.roadmap.initiatives import approval as service
from services.roadmap.initiatives import proposals
from services.roadmap.practice_report import PracticeReportData
from services.roadmap.strategy import service as strategy_store
from services.roadmap.strategy.service import InterviewIn, InterviewPublic, StrategyMapPublic
from shared import clock
from shared.app import SessionDep
from shared.auth import CurrentOfficer
from shared.errors import Refused

router = APIRouter(prefix="/v1")


# --- strategy map ---------------------------------------------------------------------------


@router.get("/clinics/{clinic_id}/strategy-interview", response_model=InterviewPublic, tags=["strategy"])
async def read_interview(clinic_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    """The interview's questions, areas, rating scale and the answers given so far (with notes)."""
    await service.get_clinic(session=session, clinic_id=clinic_id, officer_id=officer.id)
    rows = await strategy_store.interview_rows(session=session, clinic_id=clinic_id)
    return strategy_store.interview_public(clinic_id, rows)


@router.put("/clinics/{clinic_id}/strategy-interview", response_model=InterviewPublic, tags=["strategy"])
async def answer_interview(
    clinic_id: UUID, interview: InterviewIn, session: SessionDep, officer: CurrentOfficer
) -> object:
    """Record answers (area x question: a 0-3 rating and a note); the proposals are re-ranked by the map."""
    await service.get_clinic(session=session, clinic_id=clinic_id, officer_id=officer.id)
    rows = await strategy_store.save_interview(
        session=session, clinic_id=clinic_id, officer_id=officer.id, interview=interview
    )
    await proposals.refresh_proposals(session=session, clinic_id=clinic_id)
    await session.commit()
    return strategy_store.interview_public(clinic_id, rows)


@router.get("/clinics/{clinic_id}/strategy-map", response_model=StrategyMapPublic, tags=["strategy"])
async def read_map(clinic_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    """Per area: a score (0-100), evidence, candidate initiatives and vendors; and the first problem."""
    clinic = await service.get_clinic(session=session, clinic_id=clinic_id, officer_id=officer.id)
    answer = await strategy_store.map_public(session=session, clinic=clinic)
    await session.commit()  # a first read seeds the officer's catalog
    return answer


# --- solution catalog -----------------------------------------------------------------------


@router.get("/catalog", response_model=list[CatalogEntryPublic], tags=["catalog"])
async def list_catalog(
    session: SessionDep, officer: CurrentOfficer, category: CatalogCategory | None = None
) -> object:
    """Your vetted vendors by category (started from sensible defaults, marked unverified)."""
    entries = await catalog_store.officer_catalog(session=session, officer_id=officer.id)
    await session.commit()
    return [catalog_store.public(entry) for entry in entries if category in (None, entry.category)]


@router.post(
    "/catalog", response_model=CatalogEntryPublic, status_code=status.HTTP_201_CREATED, tags=["catalog"]
)
async def add_vendor(entry_in: CatalogEntryIn, session: SessionDep, officer: CurrentOfficer) -> object:
    entry = await catalog_store.add_entry(session=session, officer_id=officer.id, entry_in=entry_in)
    await session.commit()
    return catalog_store.public(entry)


@router.get("/catalog/{entry_id}", response_model=CatalogEntryPublic, tags=["catalog"])
async def read_vendor(entry_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    return catalog_store.public(
        await catalog_store.get_entry(session=session, entry_id=entry_id, officer_id=officer.id)
    )


@router.put("/catalog/{entry_id}", response_model=CatalogEntryPublic, tags=["catalog"])
async def replace_vendor(
    entry_id: UUID, entry_in: CatalogEntryIn, session: SessionDep, officer: CurrentOfficer
) -> object:
    """Replace an entry with what you checked with the vendor (verified unless you say otherwise)."""
    entry = await catalog_store.replace_entry(
        session=session, entry_id=entry_id, officer_id=officer.id, entry_in=entry_in
    )
    await session.commit()
    return catalog_store.public(entry)


@router.delete("/catalog/{entry_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["catalog"])
async def remove_vendor(entry_id: UUID, session: SessionDep, officer: CurrentOfficer) -> None:
    await catalog_store.remove_entry(session=session, entry_id=entry_id, officer_id=officer.id)
    await session.commit()


@router.get("/catalog/{entry_id}/purchase-review", tags=["catalog"])
async def purchase_review_draft(
    entry_id: UUID, session: SessionDep, officer: CurrentOfficer
) -> dict[str, object]:
    """The body of intake's purchase review for this vendor (tool, integrations, catalog entry id)."""
    entry = await catalog_store.get_entry(session=session, entry_id=entry_id, officer_id=officer.id)
    return catalog_store.purchase_review_draft(entry)


# --- an initiative's vendor -----------------------------------------------------------------


@router.get("/initiatives/{initiative_id}/vendors", response_model=list[VendorOption], tags=["catalog"])
async def vendor_options(initiative_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    """The catalog's vendors for this initiative's problem, checked against the clinic's systems."""
    initiative = await service.get_initiative(
        session=session, initiative_id=initiative_id, officer_id=officer.id
    )
    clinic = await service.get_clinic(session=session, clinic_id=initiative.clinic_id, officer_id=officer.id)
    category = category_for_problem(initiative.problem)
    chosen = await session.get(InitiativeVendor, initiative_id)
    entries = await catalog_store.officer_catalog(session=session, officer_id=officer.id)
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
                entry=catalog_store.public(entry),
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
    """Choose the catalog entry this initiative will use; the integration check is kept with the choice."""
    initiative = await service.get_initiative(
        session=session, initiative_id=initiative_id, officer_id=officer.id
    )
    clinic = await service.get_clinic(session=session, clinic_id=initiative.clinic_id, officer_id=officer.id)
    entry = await catalog_store.get_entry(session=session, entry_id=choice.entry_id, officer_id=officer.id)
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
    await catalog_store.choose_vendor(
        session=session, initiative_id=initiative_id, entry_id=entry.id, fit=fit
    )
    await session.commit()
    return VendorOption(
        entry=catalog_store.public(entry), integrates=fit.integrates, integration_note=fit.note, chosen=True
    )


# --- the practice's roadmap report ------------------------------------------------------------


@router.get("/clinics/{clinic_id}/practice-report", response_model=PracticeReportData, tags=["strategy"])
async def practice_report(clinic_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    """Roadmap's part of the report for the practice owner: first problem and why, plan dates, KPI
    with baseline, target and published evidence, money, and the strategy map (the portal renders it)."""
    clinic = await service.get_clinic(session=session, clinic_id=clinic_id, officer_id=officer.id)
    data = await practice_report_data.report_data(session=session, clinic=clinic, today=clock.today())
    await session.commit()  # a first read seeds the officer's catalog
    return data
