"""The strategy interview a clinic gave, and its map from roadmap's own data.

The interview's notes are written only to roadmap's database and returned only to the clinic's
officer: no event, log line or span attribute carries them.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.catalog import rules as catalog
from services.roadmap.catalog import service as catalog_service
from services.roadmap.models import (
    Initiative,
    RoadmapAssessment,
    RoadmapAudit,
    RoadmapClinic,
    upsert_statement,
)
from services.roadmap.strategy import rules as strategy_map
from services.roadmap.strategy.models import (
    AnswerIn,
    AnswerPublic,
    AreaPublic,
    InterviewIn,
    InterviewPublic,
    StrategyAnswer,
    StrategyMapPublic,
)
from shared import clock


def _now() -> datetime:
    return clock.now()


def interview_public(clinic_id: UUID, rows: list[StrategyAnswer]) -> InterviewPublic:
    return InterviewPublic(
        clinic_id=clinic_id,
        questions=dict(strategy_map.QUESTIONS),
        areas={area: info.label for area, info in strategy_map.AREAS.items()},
        ratings=list(strategy_map.RATINGS),
        answers=[AnswerPublic.model_validate(row, from_attributes=True) for row in rows],
    )


async def interview_rows(*, session: AsyncSession, clinic_id: UUID) -> list[StrategyAnswer]:
    rows = await session.exec(
        select(StrategyAnswer)
        .where(StrategyAnswer.clinic_id == clinic_id)
        .order_by(col(StrategyAnswer.area), col(StrategyAnswer.question))
    )
    return list(rows.all())


async def save_interview(
    *, session: AsyncSession, clinic_id: UUID, officer_id: str, interview: InterviewIn
) -> list[StrategyAnswer]:
    """Record the answers (one per area and question; the latest wins, even for a form sent twice)."""
    answered_at = _now()
    rows = {
        (answer.area, answer.question): {
            "clinic_id": clinic_id,
            "area": answer.area,
            "question": answer.question,
            "rating": answer.rating,
            "note": answer.note.strip(),
            "answered_by": officer_id,
            "answered_at": answered_at,
        }
        for answer in interview.answers
    }
    statement = upsert_statement(session)(StrategyAnswer).values(list(rows.values()))
    changed = {name: statement.excluded[name] for name in ("rating", "note", "answered_by", "answered_at")}
    await session.exec(
        statement.on_conflict_do_update(index_elements=["clinic_id", "area", "question"], set_=changed)
    )
    session.expire_all()  # rows read earlier in this session show the new answers
    return await interview_rows(session=session, clinic_id=clinic_id)


def ratings_of(rows: list[StrategyAnswer]) -> list[strategy_map.Rating]:
    ratings = []
    for row in rows:
        answer = AnswerIn.model_validate({"area": row.area, "question": row.question, "rating": row.rating})
        ratings.append(strategy_map.Rating(area=answer.area, question=answer.question, rating=answer.rating))
    return ratings


def audit_hours(audit: RoadmapAudit | None) -> list[strategy_map.AuditHours]:
    if audit is None:
        return []
    return [
        strategy_map.AuditHours(
            category=str(item["category"]),
            hours_per_week=float(item["hours_per_week"]),
            cost_per_week=float(item["cost_per_week"]),
        )
        for item in audit.candidates
    ]


async def compute_map(
    *, session: AsyncSession, clinic_id: UUID, with_initiatives: bool = True
) -> strategy_map.StrategyMap:
    """The clinic's strategy map from its interview, latest audit and assessment (and proposals)."""
    assessment = await session.get(RoadmapAssessment, clinic_id)
    initiatives: list[strategy_map.CandidateInitiative] = []
    if with_initiatives:
        rows = await session.exec(
            select(Initiative)
            .where(Initiative.clinic_id == clinic_id, col(Initiative.status).in_(("proposed", "approved")))
            .order_by(col(Initiative.rank))
        )
        initiatives = [
            strategy_map.CandidateInitiative(
                initiative_id=str(row.id),
                problem=row.problem,
                rank=row.rank,
                recommended=row.recommended and row.status == "proposed",
                status=row.status,
            )
            for row in rows.all()
        ]
    return strategy_map.build_map(
        ratings=ratings_of(await interview_rows(session=session, clinic_id=clinic_id)),
        audit=audit_hours(await session.get(RoadmapAudit, clinic_id)),
        dimension_scores=assessment.dimension_scores if assessment else {},
        overall_score=assessment.overall_score if assessment else None,
        initiatives=initiatives,
    )


async def map_public(*, session: AsyncSession, clinic: RoadmapClinic) -> StrategyMapPublic:
    built = await compute_map(session=session, clinic_id=clinic.id)
    entries = await catalog_service.officer_catalog(session=session, officer_id=clinic.officer_id)
    waiting_for = []
    if built.answered == 0:
        waiting_for.append("interview: rate the nine areas with the practice (the strategy interview)")
    if await session.get(RoadmapAudit, clinic.id) is None:
        waiting_for.append("audit: run the one-week task audit")
    if await session.get(RoadmapAssessment, clinic.id) is None:
        waiting_for.append("assessment: complete the AI Readiness Assessment at intake")
    areas = []
    for item in built.areas:
        data: dict[str, Any] = {
            **item.__dict__,
            "initiatives": [candidate.__dict__ for candidate in item.initiatives],
            "vendors": [
                f"{entry.vendor} ({catalog.label_of(entry.category)})"
                for entry in entries
                if entry.category in item.catalog_categories
            ],
        }
        areas.append(AreaPublic.model_validate(data))
    return StrategyMapPublic(
        clinic_id=clinic.id,
        answered=built.answered,
        expected=built.expected,
        waiting_for=waiting_for,
        first_area=built.first_area,
        first_reason=built.first_reason,
        questions=dict(strategy_map.QUESTIONS),
        areas=areas,
    )


async def proposal_inputs(
    *, session: AsyncSession, clinic: RoadmapClinic | None, clinic_id: UUID
) -> tuple[dict[str, tuple[float, str]], dict[str, tuple[bool | None, str]]]:
    """What the map and the catalog add to the ranking: per audit category a weight and an integration."""
    built = await compute_map(session=session, clinic_id=clinic_id, with_initiatives=False)
    emphasis = {
        category: (weight.factor, weight.citation)
        for category, weight in strategy_map.emphasis_by_category(built).items()
    }
    integration: dict[str, tuple[bool | None, str]] = {}
    if clinic is not None:
        vendors = catalog_service.summaries(
            await catalog_service.officer_catalog(session=session, officer_id=clinic.officer_id)
        )
        listed = {vendor.category for vendor in vendors}
        for audit_category, category in catalog.FOR_AUDIT_CATEGORY.items():
            if category not in listed:
                continue  # no vetted vendor yet: the plain "is there a system of this kind" answers
            fit = catalog.category_fit(category=category, vendors=vendors, systems=clinic.systems)
            integration[audit_category] = (fit.integrates, fit.note[:300])
    return emphasis, integration
