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
from services.roadmap.models import RoadmapPlanTransition
from services.roadmap.plans.activities import PlanActivities
from services.roadmap.plans.contracts import PhaseChange, PlanNotice, TargetChange
from services.roadmap.plans.worker import MIGRATIONS
from shared import db, topics
from shared.events import ClinicRegistered, EventBody
from shared.events import audit as audit_events
from shared.events import buy_in as buy_in_events
from shared.events import intake as intake_events
from shared.events import kpi as kpi_events
from shared.events import partner as partner_events
from shared.events import roadmap as roadmap_events
from shared.events.audit import AuditCompleted, AutomationCandidate
from shared.events.intake import AssessmentCompleted
from shared.events.roadmap import InitiativeProposed, PlanNoticeRaised, PlanPhaseChanged, PlanTargetSet
from shared.outbox import OutboxMessage

OFFICER = "officer-events"

# Every str field an event may carry, and why it is not text a person typed about a patient.
PINNED_TEXT_FIELDS = {
    # ids and pseudonyms (checked by shared/pseudonyms.py at the edge)
    *("AiToolSession.staff_id", "NoteSigned.staff_id", "InitiativeApproved.owner"),
    *("InitiativeApproved.pilot_group", "InitiativeApproved.plan_id", "PlanBuyInChanged.plan_id"),
    *("PlanNoticeRaised.plan_id", "PlanNoticeRaised.key", "PlanPhaseChanged.plan_id"),
    "PlanTargetSet.plan_id",
    *("AssessmentCompleted.officer_id", "ClinicArchived.officer_id", "ClinicProfile.officer_id"),
    *("ClinicRegistered.officer_id", "ClinicUpdated.officer_id", "OfficerTokensRevoked.officer_id"),
    # names of the practice (shared/names.py), its systems' vendors and roles: no patient in them
    *("ClinicProfile.name", "ClinicProfile.specialty", "ClinicProfile.systems", "ClinicRegistered.name"),
    *("ClinicRegistered.specialty", "ClinicRegistered.systems", "ClinicUpdated.name"),
    *("ClinicUpdated.specialty", "ClinicUpdated.systems", "ClinicUpdated.changed", "StaffRole.role"),
    # categories and vocabulary (audit categories, solutions, questionnaire ids, weeks, a tool's kind)
    *("AutomationCandidate.category", "AutomationCandidate.roles", "AutomationCandidate.solution"),
    *("InitiativeApproved.problem", "InitiativeProposed.problem", "InitiativeProposed.solution"),
    *("AssessmentCompleted.dimension_scores", "AssessmentCompleted.questionnaire_version"),
    *("ReadinessGap.dimension", "ReadinessGap.question_id", "KpiAlert.week", "KpiSnapshot.week"),
    "AiToolSession.tool",
    # faio's own words: counts per role, a close reason, the questionnaire's advice, alert and
    # notice texts built from figures, a phase change's reason (never the officer's note)
    *("AuditCompleted.missing_staff", "AuditCompleted.close_reason", "ReadinessGap.next_action"),
    *("KpiAlert.evidence", "KpiAlert.message", "PlanNoticeRaised.message", "PlanPhaseChanged.reason"),
    # a target as faio writes it from the officer's number ("-12 percentage points") and why it
    # cannot be met from a measured share (plans/targets.py)
    *("PlanTargetSet.given_as", "PlanTargetSet.problem"),
}


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


async def test_a_gate_decision_publishes_its_kind_and_keeps_the_officers_note_out_of_the_event(
    sessions: db.SessionFactory,
) -> None:
    plan = await plan_in_evaluation(sessions)
    note = "the front desk wants to keep it"
    decided = PhaseChange(
        **{
            **plan.__dict__,
            "seq": 5,
            "phase": "rollout",
            "previous_phase": "evaluation",
            "reason": "officer decided to continue at gate pass (officer-7)",
            "decision": "continue",
            "note": note,
        }
    )
    await ActivityEnvironment().run(PlanActivities(sessions).record_phase_change, decided)

    bodies = await staged(sessions, topics.PLAN_PHASE_CHANGED)
    assert all(note not in json.dumps(body) for body in bodies)
    event = PlanPhaseChanged.model_validate(bodies[-1])
    assert (event.phase, event.decision, event.reason) == (
        "rollout",
        "continue",
        "officer decided to continue at gate pass (officer-7)",
    )
    assert PlanPhaseChanged.model_validate(bodies[0]).decision is None
    # The note stays in roadmap's own history: the plan page and the owner's close-out read it there.
    async with sessions() as session:
        transition = await session.get(RoadmapPlanTransition, (uuid.UUID(plan.clinic_id), plan.plan_id, 5))
    assert transition is not None
    assert transition.reason == f"officer decided to continue at gate pass (officer-7): {note}"


async def test_a_target_read_against_the_baseline_is_published_for_kpi(sessions: db.SessionFactory) -> None:
    plan = await plan_in_evaluation(sessions)
    told = TargetChange(
        plan_id=plan.plan_id,
        clinic_id=plan.clinic_id,
        initiative_id=plan.initiative_id,
        target_change_pct=-41.38,
        problem="",
        given_as="-12 percentage points",
        baseline_value=0.29,
        locked=True,
        set_at=datetime.now(UTC).isoformat(),
    )
    await ActivityEnvironment().run(PlanActivities(sessions).tell_target, told)

    (body,) = await staged(sessions, topics.PLAN_TARGET_SET)
    event = PlanTargetSet.model_validate(body)
    assert (event.target_change_pct, event.given_as, event.baseline_value, event.locked) == (
        -41.38,
        "-12 percentage points",
        0.29,
        True,
    )
    assert str(event.initiative_id) == plan.initiative_id


def test_no_event_carries_text_a_person_typed() -> None:
    """Every str field of every event contract, pinned: each is an id, a category or faio's own words.

    A new free-text field (a note, a task description) fails here until it is replaced by an id, a
    category or a count.
    """
    bodies = [
        body
        for module in (audit_events, buy_in_events, intake_events, kpi_events, partner_events, roadmap_events)
        for body in vars(module).values()
        if isinstance(body, type) and issubclass(body, EventBody) and body.__module__ == module.__name__
    ]
    text_fields = {
        f"{body.__name__}.{name}"
        for body in bodies
        for name, field in body.model_fields.items()
        if "str" in str(field.annotation) and "Literal" not in str(field.annotation)
    }
    assert "AutomationCandidate.top_tasks" not in text_fields
    assert text_fields <= PINNED_TEXT_FIELDS, sorted(text_fields - PINNED_TEXT_FIELDS)
