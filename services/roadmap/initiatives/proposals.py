"""Roadmap's proposals: what it learns of a clinic, and the initiatives it proposes from it.

A clinic's profile (its systems decide integration), its latest assessment and its latest audit
each re-rank the clinic's proposed initiatives with the pure rules of rules.py. Every proposal
is published (roadmap.initiative.proposed.v1) in the same transaction that stores it.
"""

import logging
from datetime import UTC, datetime
from uuid import UUID, uuid5

from pydantic import ValidationError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap import clinics
from services.roadmap.catalog.prices import provider_headcount
from services.roadmap.initiatives import rules
from services.roadmap.models import SOURCE, Initiative, RoadmapAssessment, RoadmapAudit, RoadmapClinic
from services.roadmap.strategy import service as strategy_service
from shared import clock
from shared.events import ClinicRegistered
from shared.events.audit import AuditCompleted
from shared.events.intake import AssessmentCompleted, ClinicUpdated
from shared.events.roadmap import InitiativeProposed
from shared.outbox import add_to_outbox

log = logging.getLogger(__name__)


async def record_clinic(*, session: AsyncSession, event: ClinicRegistered | ClinicUpdated) -> RoadmapClinic:
    """Remember a registered clinic, or refresh it (its systems decide integration) when it changes."""
    existing = await session.get(RoadmapClinic, event.clinic_id)
    if existing is not None and isinstance(event, ClinicRegistered):
        # Registration is a clinic's first profile: a row already here is that registration
        # redelivered or an update that overtook it (another topic). Keep the newer profile.
        return existing
    clinic = existing or RoadmapClinic(
        id=event.clinic_id,
        officer_id=event.officer_id,
        name=event.name,
        specialty=event.specialty,
    )
    clinic.officer_id = event.officer_id
    clinic.name = event.name
    clinic.specialty = event.specialty
    clinic.systems = dict(event.systems)
    clinic.locations = event.locations
    clinic.providers = provider_headcount([(role.role, role.headcount) for role in event.staff])
    clinic.set_calendar(event.calendar)
    session.add(clinic)
    await session.flush()
    await refresh_proposals(session=session, clinic_id=event.clinic_id)  # systems decide integration
    return clinic


async def record_assessment(*, session: AsyncSession, event: AssessmentCompleted) -> bool:
    """Keep the clinic's latest assessment (an older one arriving late is ignored) and re-rank."""
    current = await session.get(RoadmapAssessment, event.clinic_id)
    if current is not None and current.completed_at.replace(tzinfo=UTC) >= event.completed_at.astimezone(UTC):
        return False
    assessment = current or RoadmapAssessment(
        clinic_id=event.clinic_id,
        assessment_id=event.assessment_id,
        overall_score=event.overall_score,
        level=event.level,
        completed_at=event.completed_at,
    )
    assessment.assessment_id = event.assessment_id
    assessment.overall_score = event.overall_score
    assessment.level = event.level
    assessment.dimension_scores = dict(event.dimension_scores)
    assessment.completed_at = event.completed_at
    session.add(assessment)
    await session.flush()
    await refresh_proposals(session=session, clinic_id=event.clinic_id)
    return True


async def record_audit(*, session: AsyncSession, event: AuditCompleted) -> bool:
    """Keep the clinic's latest audit and its candidates (an older one is ignored) and re-rank."""
    current = await session.get(RoadmapAudit, event.clinic_id)
    if current is not None and current.completed_at.replace(tzinfo=UTC) >= event.completed_at.astimezone(UTC):
        return False
    audit = current or RoadmapAudit(
        clinic_id=event.clinic_id,
        audit_id=event.audit_id,
        total_cost_per_week=event.total_cost_per_week,
        completed_at=event.completed_at,
    )
    audit.audit_id = event.audit_id
    audit.total_cost_per_week = event.total_cost_per_week
    audit.low_confidence = event.low_confidence
    audit.candidates = [candidate.model_dump(mode="json") for candidate in event.candidates]
    audit.completed_at = event.completed_at
    session.add(audit)
    await session.flush()
    await refresh_proposals(session=session, clinic_id=event.clinic_id)
    return True


def initiative_id_for(audit_id: UUID, problem: str) -> UUID:
    """Stable per audit and problem: re-ranking after a new assessment keeps the same ids."""
    return uuid5(audit_id, clinics.normalise_category(problem))


async def refresh_proposals(*, session: AsyncSession, clinic_id: UUID) -> list[Initiative]:
    """Recompute the clinic's proposed initiatives from its latest audit, assessment and systems.

    Each proposal is published (roadmap.initiative.proposed.v1) in the same transaction.
    """
    audit = await session.get(RoadmapAudit, clinic_id)
    if audit is None:
        return []
    clinic = await session.get(RoadmapClinic, clinic_id)
    assessment = await session.get(RoadmapAssessment, clinic_id)
    candidates = [
        rules.Candidate(
            category=str(item["category"]),
            solution=str(item.get("solution", "")),
            hours_per_week=float(item["hours_per_week"]),
            cost_per_week=float(item["cost_per_week"]),
            predictability=float(item.get("predictability", 0)),
            hours_saved_low=float(item.get("hours_saved_low", 0)),
            hours_saved_high=float(item.get("hours_saved_high", 0)),
        )
        for item in audit.candidates
    ]
    # The strategy map weighs each problem and the solution catalog answers "does it integrate".
    emphasis, integration = await strategy_service.proposal_inputs(
        session=session, clinic=clinic, clinic_id=clinic_id
    )
    proposals = rules.propose_initiatives(
        candidates=candidates,
        systems=clinic.systems if clinic else {},
        overall_score=assessment.overall_score if assessment else None,
        dimension_scores=assessment.dimension_scores if assessment else {},
        emphasis=emphasis,
        integration=integration,
    )
    started = {
        row.problem
        for row in (
            await session.exec(
                select(Initiative).where(Initiative.clinic_id == clinic_id, Initiative.status != "proposed")
            )
        ).all()
    }
    # Proposals of older audits give way to the new ones; approved initiatives are history, kept.
    await session.exec(
        delete(Initiative).where(col(Initiative.clinic_id) == clinic_id, col(Initiative.status) == "proposed")
    )
    rows = []
    now = clock.now()
    for proposal in proposals:
        if proposal.problem in started:
            continue  # already approved once for this clinic: not proposed again
        row = Initiative(
            id=initiative_id_for(audit.audit_id, proposal.problem),
            source_audit_id=audit.audit_id,
            clinic_id=clinic_id,
            rank=proposal.rank,
            problem=proposal.problem,
            solution=proposal.solution,
            hours_per_week=proposal.hours_per_week,
            cost_per_week=proposal.cost_per_week,
            kpi=proposal.kpi,
            suggested_target_pct=proposal.suggested_target_pct,
            system=proposal.system,
            integrates=proposal.integrates,
            integration_note=proposal.integration_note,
            impact_per_week=proposal.impact_per_week,
            readiness=proposal.readiness,
            score=proposal.score,
            recommended=proposal.recommended,
            reason=proposal.reason[:500],
        )
        session.add(row)
        rows.append(row)
        _publish_proposal(session, row, proposal, now)
    await session.flush()
    return rows


def _publish_proposal(
    session: AsyncSession, row: Initiative, proposal: rules.Proposal, proposed_at: datetime
) -> None:
    try:
        event = proposed_event(row, proposal, proposed_at)
    except ValidationError as error:
        # Figures beyond the contract's bounds (an absurd audit): the initiative is still kept and
        # shown by the API; refusing the whole audit over the portal's copy would lose far more.
        log.warning("initiative %s not published: %s", row.id, error.errors()[0]["msg"])
        return
    add_to_outbox(session, event, source=SOURCE, subject=str(row.clinic_id))


def proposed_event(row: Initiative, proposal: rules.Proposal, proposed_at: datetime) -> InitiativeProposed:
    return InitiativeProposed(
        clinic_id=row.clinic_id,
        initiative_id=row.id,
        rank=proposal.rank,
        problem=proposal.problem,
        solution=proposal.solution,
        kpi=proposal.kpi,
        hours_per_week=proposal.hours_per_week,
        cost_per_week=proposal.cost_per_week,
        suggested_target_pct=proposal.suggested_target_pct,
        recommended=proposal.recommended,
        proposed_at=proposed_at,
    )
