"""What roadmap tells the portal: proposed initiatives and plan notices, through its outbox.

Each event is staged in the same transaction as the state it describes, once per proposal
(re-ranking stages the new ranks) and once per notice, however often an activity is retried.
"""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from services.roadmap.initiatives import proposals
from services.roadmap.plans.activities import PlanActivities
from services.roadmap.plans.contracts import PhaseChange, PlanNotice
from services.roadmap.plans.worker import MIGRATIONS
from shared import db, topics
from shared.events import ClinicRegistered
from shared.events.audit import AuditCompleted, AutomationCandidate
from shared.events.intake import AssessmentCompleted
from shared.events.roadmap import InitiativeProposed, PlanNoticeRaised
from shared.outbox import OutboxMessage

OFFICER = "officer-events"


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[db.SessionFactory]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'roadmap.db'}"
    await db.migrate(url, MIGRATIONS)
    engine = db.create_engine(url)
    yield db.create_session_factory(engine)
    await engine.dispose()


async def staged(sessions: db.SessionFactory, topic: topics.Topic) -> list[dict[str, Any]]:
    async with sessions() as session:
        statement = select(OutboxMessage).where(OutboxMessage.topic == topic.name).order_by(OutboxMessage.id)  # type: ignore[arg-type]
        return [json.loads(row.payload) for row in (await session.exec(statement)).all()]


def audit_of(clinic_id: uuid.UUID, at: datetime) -> AuditCompleted:
    return AuditCompleted(
        clinic_id=clinic_id,
        audit_id=uuid.uuid4(),
        window_start=at.date(),
        window_end=at.date(),
        total_hours_per_week=30,
        total_cost_per_week=1_200,
        low_confidence=False,
        candidates=[
            AutomationCandidate(
                rank=rank,
                category=category,
                solution="",
                hours_per_week=10,
                cost_per_week=cost,
                predictability=0.8,
                score=1,
                hours_saved_low=3,
                hours_saved_high=5,
            )
            for rank, (category, cost) in enumerate({"documentation": 900, "billing": 300}.items(), start=1)
        ],
        completed_at=at,
    )


async def test_proposing_and_re_ranking_publish_each_initiative(sessions: db.SessionFactory) -> None:
    clinic_id = uuid.uuid4()
    now = datetime.now(UTC)
    async with sessions() as session:
        registered = ClinicRegistered(
            clinic_id=clinic_id,
            officer_id=OFFICER,
            name="Hilltop",
            specialty="dermatology",
            locations=1,
            systems={"emr": "ModMed"},
        )
        await proposals.record_clinic(session=session, event=registered)
        await session.commit()
    assert await staged(sessions, topics.INITIATIVE_PROPOSED) == []  # nothing to propose before an audit

    async with sessions() as session:
        await proposals.record_audit(session=session, event=audit_of(clinic_id, now))
        await session.commit()
    proposed = [
        InitiativeProposed.model_validate(body) for body in await staged(sessions, topics.INITIATIVE_PROPOSED)
    ]
    assert [(event.rank, event.problem, event.recommended) for event in proposed] == [
        (1, "documentation", True),
        (2, "billing", False),
    ]
    assert proposed[0].kpi == "documentation_minutes_per_note"

    async with sessions() as session:  # a new assessment re-ranks: the same initiatives, published again
        assessment = AssessmentCompleted(
            clinic_id=clinic_id,
            assessment_id=uuid.uuid4(),
            questionnaire_version="1",
            overall_score=80,
            level="ready",
            dimension_scores={},
            completed_at=now,
        )
        await proposals.record_assessment(session=session, event=assessment)
        await session.commit()
    again = [
        InitiativeProposed.model_validate(body) for body in await staged(sessions, topics.INITIATIVE_PROPOSED)
    ]
    assert len(again) == 4
    assert [event.initiative_id for event in again[2:]] == [event.initiative_id for event in proposed]


async def plan_in_evaluation(sessions: db.SessionFactory) -> PhaseChange:
    clinic_id, initiative_id = uuid.uuid4(), uuid.uuid4()
    change = PhaseChange(
        plan_id=f"plan-{initiative_id}",
        clinic_id=str(clinic_id),
        initiative_id=str(initiative_id),
        seq=4,
        phase="evaluation",
        previous_phase="pilot",
        reason="pilot finished",
        changed_at=datetime.now(UTC).isoformat(),
    )
    await ActivityEnvironment().run(PlanActivities(sessions).record_phase_change, change)
    return change


async def test_each_notice_is_published_once_with_its_urgency_and_due_time(
    sessions: db.SessionFactory,
) -> None:
    plan = await plan_in_evaluation(sessions)
    activities = PlanActivities(sessions)
    environment = ActivityEnvironment()
    raised = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    decision = PlanNotice(
        plan_id=plan.plan_id,
        clinic_id=plan.clinic_id,
        key=f"{plan.plan_id}/7/decision_needed",
        kind="decision_needed",
        message="gate: decide to continue, extend or stop within 7 days",
        initiative_id=plan.initiative_id,
        phase="evaluation",
        due_at=(raised + timedelta(days=7)).isoformat(),
        raised_at=raised.isoformat(),
    )
    checkin = PlanNotice(
        plan_id=plan.plan_id,
        clinic_id=plan.clinic_id,
        key=f"{plan.plan_id}/6/checkin",
        kind="checkin",
        message="weekly check-in",
        initiative_id=plan.initiative_id,
        phase="pilot",
        raised_at=(raised - timedelta(days=1)).isoformat(),
    )
    for notice in (decision, checkin, decision, checkin):  # retried activities change nothing
        await environment.run(activities.notify_officer, notice)

    events = [
        PlanNoticeRaised.model_validate(body) for body in await staged(sessions, topics.PLAN_NOTICE_RAISED)
    ]
    assert [(event.key, event.kind, event.urgent, event.phase) for event in events] == [
        (decision.key, "decision_needed", True, "evaluation"),
        (checkin.key, "checkin", False, "pilot"),
    ]
    assert events[0].due_at == raised + timedelta(days=7)
    assert events[0].raised_at == raised
    assert events[1].due_at is None
    assert str(events[0].initiative_id) == plan.initiative_id


async def test_a_notice_of_an_unknown_kind_fails_at_once(sessions: db.SessionFactory) -> None:
    plan = await plan_in_evaluation(sessions)
    notice = PlanNotice(
        plan_id=plan.plan_id,
        clinic_id=plan.clinic_id,
        key="k/1/gossip",
        kind="gossip",
        message="?",
        initiative_id=plan.initiative_id,
        phase="evaluation",
        raised_at=datetime.now(UTC).isoformat(),
    )
    with pytest.raises(ApplicationError, match="unknown notice kind") as failure:
        await ActivityEnvironment().run(PlanActivities(sessions).notify_officer, notice)
    assert failure.value.non_retryable
    assert await staged(sessions, topics.PLAN_NOTICE_RAISED) == []
