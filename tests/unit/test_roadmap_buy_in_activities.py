"""The plan's buy-in side effects against a scratch database: a retraining booked by an adoption alert
becomes a tracked session (once, however often the activity is retried), and the preparation check
reads what the officer recorded, a survey round closes when the plan leaves its stage. Plus the
survey's results rule, pure."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from services.roadmap.models import RoadmapPlan
from services.roadmap.plans.activities import PlanActivities
from services.roadmap.plans.buy_in.activities import BuyInActivities
from services.roadmap.plans.buy_in.models import (
    BuyInCommunication,
    BuyInSurveyRound,
    BuyInTraining,
    BuyInWaiver,
)
from services.roadmap.plans.buy_in.results import ALL, NONE, STILL_OPEN, TOO_FEW, survey_results
from services.roadmap.plans.buy_in.service import MISSING_COMMUNICATION, MISSING_TRAINING
from services.roadmap.plans.contracts import PhaseChange, PlanNotice
from services.roadmap.plans.worker import MIGRATIONS
from shared import db
from shared.events.buy_in import PlanBuyInChanged
from shared.outbox import OutboxMessage

ALL_FIVE = {"job_security_worry": 5, "confidence_to_learn": 1, "expected_extra_work": 5}
ALL_FIVE |= {"understanding_why": 1, "leadership_support": 1}


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[db.SessionFactory]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'roadmap.db'}"
    await db.migrate(url, MIGRATIONS)
    engine = db.create_engine(url)
    yield db.create_session_factory(engine)
    await engine.dispose()


async def a_plan(sessions: db.SessionFactory, phase: str = "sustain") -> RoadmapPlan:
    plan = RoadmapPlan(
        id=f"plan-{uuid.uuid4()}", clinic_id=uuid.uuid4(), initiative_id=uuid.uuid4(), phase=phase
    )
    async with sessions() as session:
        session.add(plan)
        await session.commit()
    return plan


async def test_a_retraining_booked_by_an_alert_is_a_tracked_session_once(sessions: db.SessionFactory) -> None:
    plan = await a_plan(sessions)
    notice = PlanNotice(
        plan_id=plan.id,
        clinic_id=str(plan.clinic_id),
        key=f"{plan.id}/31/retraining",
        kind="retraining",
        message="adoption declining (ai_weekly_active_staff, 2027-W14): retraining booked",
        initiative_id=str(plan.initiative_id),
        phase="sustain",
        raised_at=datetime(2027, 4, 5, 9, tzinfo=UTC).isoformat(),
    )
    environment = ActivityEnvironment()
    activities = PlanActivities(sessions)
    assert await environment.run(activities.schedule_retraining, notice) is True
    assert await environment.run(activities.schedule_retraining, notice) is False  # a retry: nothing new
    async with sessions() as session:
        [session_row] = (await session.exec(select(BuyInTraining))).all()
        events = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.topic == "roadmap.plan.buy-in-changed.v1")
            )
        ).all()
    assert (session_row.kind, session_row.status, str(session_row.held_on)) == (
        "retraining",
        "booked",
        "2027-04-05",
    )
    assert session_row.booked_by_notice == notice.key and session_row.attendees == []
    [event] = [PlanBuyInChanged.model_validate_json(row.payload) for row in events]
    assert (event.retrainings, event.trainings_booked, event.trainings_held) == (1, 1, 0)


async def test_the_preparation_check_reads_what_the_officer_recorded(sessions: db.SessionFactory) -> None:
    plan = await a_plan(sessions, "preparation")
    check = BuyInActivities(sessions).check_preparation
    environment = ActivityEnvironment()
    nothing = await environment.run(check, str(plan.clinic_id), plan.id)
    assert not nothing.ready and nothing.missing == [MISSING_COMMUNICATION, MISSING_TRAINING]
    async with sessions() as session:
        session.add(BuyInTraining(plan_id=plan.id, clinic_id=plan.clinic_id, status="booked"))
        session.add(
            BuyInCommunication(
                plan_id=plan.id,
                clinic_id=plan.clinic_id,
                kind="what_changes",
                audiences=["front_desk"],
                sent_at=datetime.now(UTC),
                recorded_by="officer-1",
            )
        )
        await session.commit()
    booked_only = await environment.run(check, str(plan.clinic_id), plan.id)
    assert not booked_only.ready and booked_only.missing == [MISSING_TRAINING]  # booked is not held
    async with sessions() as session:
        session.add(
            BuyInWaiver(
                clinic_id=plan.clinic_id,
                plan_id=plan.id,
                reason="trained by the vendor last month",
                recorded_by="officer-1",
            )
        )
        await session.commit()
    waived = await environment.run(check, str(plan.clinic_id), plan.id)
    assert waived.ready and waived.waived and waived.missing == [MISSING_TRAINING]


def test_results_show_only_once_closed_from_five_with_unanimous_cells_coarsened() -> None:
    still_open = survey_results([ALL_FIVE] * 7, closed=False)
    assert not still_open.shown and still_open.responses is None and still_open.message == STILL_OPEN
    four = survey_results([ALL_FIVE] * 4, closed=True)
    assert not four.shown and four.questions == [] and four.message.startswith(TOO_FEW)
    five = survey_results([ALL_FIVE] * 5, closed=True)
    assert (
        five.shown and five.responses == 5 and five.buy_in_score == 0.0
    )  # every answer the least favourable
    # Everyone alike at an end of the scale: no exact share, no mean, only the words.
    assert all(q.agree in (ALL, NONE) and q.agree_share is None and q.mean is None for q in five.questions)
    ten = survey_results([ALL_FIVE] * 5 + [dict.fromkeys(ALL_FIVE, 3)] * 5, closed=True)
    assert ten.responses == 10 and ten.buy_in_score == 25.0
    worry = next(question for question in ten.questions if question.question == "job_security_worry")
    assert worry.worse_when_agreed and worry.mean == 4.0 and worry.agree_share == 0.5 and worry.agree == "50%"


async def test_a_before_pilot_round_closes_when_the_plan_records_the_pilot(
    sessions: db.SessionFactory,
) -> None:
    plan = await a_plan(sessions, phase="preparation")
    async with sessions() as session:
        session.add(
            BuyInSurveyRound(
                plan_id=plan.id,
                clinic_id=plan.clinic_id,
                stage="before_pilot",
                expires_at=datetime.now(UTC) + timedelta(days=14),
                created_by="officer-1",
            )
        )
        await session.commit()
    change = PhaseChange(
        plan_id=plan.id,
        clinic_id=str(plan.clinic_id),
        initiative_id=str(plan.initiative_id),
        seq=3,
        phase="pilot",
        previous_phase="preparation",
        reason="preparation done",
        changed_at=datetime.now(UTC).isoformat(),
    )
    await ActivityEnvironment().run(PlanActivities(sessions).record_phase_change, change)
    async with sessions() as session:
        closed = (await session.exec(select(BuyInSurveyRound))).one()
        staged = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.topic == PlanBuyInChanged.topic.name)
            )
        ).all()
    assert closed.closed_at is not None
    figures = PlanBuyInChanged.model_validate_json(staged[-1].payload).surveys
    assert [(round_.stage, round_.open) for round_ in figures] == [("before_pilot", False)]
