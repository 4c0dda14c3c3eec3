"""What kpi knows of clinics and initiatives, as other services announce them.

Intake registers clinics, roadmap approves initiatives and moves plans through their phases;
kpi keeps what it needs to accept partner events for a clinic and to judge its KPIs.
"""

from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi import kpis
from services.kpi.models import KpiClinic, KpiInitiative
from shared import pseudonyms
from shared.calendar import ClinicCalendar, stored_calendar
from shared.errors import NotFound
from shared.events import ClinicRegistered
from shared.events.intake import ClinicUpdated
from shared.events.roadmap import FINAL_PHASES, InitiativeApproved, PlanPhaseChanged, PlanTargetSet


async def record_clinic(*, session: AsyncSession, event: ClinicRegistered | ClinicUpdated) -> KpiClinic:
    """Remember a registered clinic, or refresh it when its profile changes."""
    existing = await session.get(KpiClinic, event.clinic_id)
    if existing is not None and isinstance(event, ClinicRegistered):
        # Registration is a clinic's first profile: a row already here is that registration
        # redelivered or an update that overtook it (another topic). Keep the newer profile.
        return existing
    clinic = existing or KpiClinic(id=event.clinic_id, officer_id=event.officer_id, name=event.name)
    clinic.officer_id = event.officer_id
    clinic.name = event.name
    # A new zone applies to events counted from now on; days already counted keep their dates.
    clinic.set_calendar(event.calendar)
    session.add(clinic)
    return clinic


async def record_initiative(
    *, session: AsyncSession, event: InitiativeApproved, pseudonym_secret: str
) -> KpiInitiative:
    """Remember an approved initiative: its KPI, baseline window, target and pilot group.

    Roadmap sends the pilot group as keyed pseudonyms already; one sent raw is mapped here
    (idempotent), so kpi keeps no raw id and the group meets the partner's pseudonymised events.
    """
    initiative = await session.get(KpiInitiative, (event.clinic_id, event.initiative_id)) or KpiInitiative(
        id=event.initiative_id,
        clinic_id=event.clinic_id,
        kpi=event.kpi,
        baseline_start=event.baseline_start,
        baseline_end=event.baseline_end,
        target_change_pct=event.target_change_pct,
        approved_at=event.approved_at,
    )
    initiative.kpi = event.kpi
    initiative.baseline_start = event.baseline_start
    initiative.baseline_end = event.baseline_end
    if initiative.target_set_at is None or initiative.target_set_at < event.approved_at:
        initiative.target_change_pct = event.target_change_pct  # else its plan has spoken since
        initiative.target_problem = ""
    initiative.pilot_group = pseudonyms.pseudonyms_for(
        event.pilot_group, clinic_id=event.clinic_id, secret=pseudonym_secret
    )
    session.add(initiative)
    return initiative


async def record_target(*, session: AsyncSession, event: PlanTargetSet) -> None:
    """The plan's target as it judges it now: read against the measured baseline, changed, or locked."""
    initiative = await session.get(KpiInitiative, (event.clinic_id, event.initiative_id))
    if initiative is None:
        return  # the plan speaks only after kpi's snapshots or the officer, both after the approval
    if initiative.target_set_at is not None and event.set_at < initiative.target_set_at:
        return  # an older word arriving late
    initiative.target_change_pct = event.target_change_pct
    initiative.target_problem = event.problem
    initiative.target_set_at = event.set_at
    session.add(initiative)


def target_of(initiative: KpiInitiative, baseline: float | None) -> float | None:
    """The KPI's target value against the baseline; None when the plan found it out of reach."""
    return None if initiative.target_problem else kpis.target_value(baseline, initiative.target_change_pct)


async def record_phase_change(*, session: AsyncSession, event: PlanPhaseChanged) -> None:
    """Note when the pilot started (adoption is watched from then) and when a plan ended."""
    initiative = await session.get(KpiInitiative, (event.clinic_id, event.initiative_id))
    if initiative is None:
        return
    if event.phase == "pilot" and initiative.pilot_started_on is None:
        initiative.pilot_started_on = (await clinic_calendar(session, initiative.clinic_id)).day_of(
            event.changed_at
        )
    if event.phase in FINAL_PHASES:
        initiative.active = False
    session.add(initiative)


async def clinic_calendar(session: AsyncSession, clinic_id: UUID) -> ClinicCalendar:
    """The clinic's own time, as kpi keeps it."""
    return await stored_calendar(session, KpiClinic, clinic_id)


async def officer_clinic(*, session: AsyncSession, officer_id: str, clinic_id: UUID) -> KpiClinic:
    """One of the officer's clinics; NotFound for any other (another officer's looks the same)."""
    clinic = await session.get(KpiClinic, clinic_id)
    if clinic is None or clinic.officer_id != officer_id:
        raise NotFound(
            f"clinic {clinic_id} is not one of your clinics here: intake's GET /v1/clinics lists "
            "yours, and a clinic registered a moment ago may still be on its way (retry shortly)"
        )
    return clinic


async def active_initiative(*, session: AsyncSession, clinic_id: UUID) -> KpiInitiative | None:
    """The clinic's most recently approved initiative still running (one problem at a time)."""
    statement = (
        select(KpiInitiative)
        .where(KpiInitiative.clinic_id == clinic_id, col(KpiInitiative.active).is_(True))
        .order_by(col(KpiInitiative.approved_at).desc())
    )
    return (await session.exec(statement)).first()


async def clinics_with_active_initiatives(*, session: AsyncSession) -> list[UUID]:
    rows = await session.exec(
        select(KpiInitiative.clinic_id).where(col(KpiInitiative.active).is_(True)).distinct()
    )
    return list(rows.all())
