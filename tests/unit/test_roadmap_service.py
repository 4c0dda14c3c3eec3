"""Roadmap's service functions and plan activities against a scratch SQLite database.

The plan starter is replaced by a fake that records the plans started; activities run in
temporalio's ActivityEnvironment.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from services.roadmap.initiatives import proposals
from services.roadmap.initiatives.approval import approve_initiative, baseline_window
from services.roadmap.initiatives.models import ApprovalIn, InitiativePublic
from services.roadmap.initiatives.service import list_initiatives
from services.roadmap.models import Initiative, RoadmapPlan, RoadmapPlanNotice, RoadmapPlanTransition
from services.roadmap.plans.activities import PlanActivities
from services.roadmap.plans.contracts import PhaseChange, PlanInput, PlanNotice, PlanStatus
from services.roadmap.plans.service import live_view
from services.roadmap.plans.worker import MIGRATIONS
from shared import clock, db
from shared.calendar import ClinicCalendar
from shared.errors import Conflict, NotFound
from shared.events import ClinicRegistered
from shared.events.audit import AuditCompleted, AutomationCandidate
from shared.events.intake import AssessmentCompleted
from shared.events.roadmap import InitiativeApproved
from shared.outbox import OutboxMessage
from tests.clock_dates import DATES

OFFICER = "officer-unit"
APPROVALS_STAGED = select(OutboxMessage).where(OutboxMessage.topic == "roadmap.initiative.approved.v1")


class FakeStarter:
    """Stands in for starter.start_plan: records the plans it was asked to start."""

    def __init__(self, *, fail: bool = False, delay: float = 0.0) -> None:
        self.started: list[PlanInput] = []
        self.fail = fail
        self.delay = delay  # how long a start takes: room for a concurrent request to interleave

    async def __call__(self, plan: PlanInput) -> None:
        await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("Temporal unreachable")
        self.started.append(plan)


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[db.SessionFactory]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'roadmap.db'}"
    await db.migrate(url, MIGRATIONS)
    engine = db.create_engine(url)
    yield db.create_session_factory(engine)
    await engine.dispose()


def audit(clinic_id: uuid.UUID, *, at: datetime, categories: dict[str, float]) -> AuditCompleted:
    return AuditCompleted(
        clinic_id=clinic_id,
        audit_id=uuid.uuid4(),
        window_start=at.date(),
        window_end=at.date(),
        total_hours_per_week=50,
        total_cost_per_week=sum(categories.values()),
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
            for rank, (category, cost) in enumerate(categories.items(), start=1)
        ],
        completed_at=at,
    )


async def clinic(sessions: db.SessionFactory, *, systems: dict[str, str] | None = None) -> uuid.UUID:
    clinic_id = uuid.uuid4()
    async with sessions() as session:
        await proposals.record_clinic(
            session=session,
            event=ClinicRegistered(
                clinic_id=clinic_id,
                officer_id=OFFICER,
                name="Hilltop",
                specialty="dermatology",
                locations=1,
                systems={"emr": "athenahealth"} if systems is None else systems,
            ),
        )
        await session.commit()
    return clinic_id


async def proposed(sessions: db.SessionFactory, clinic_id: uuid.UUID) -> list[InitiativePublic]:
    async with sessions() as session:
        listing = await list_initiatives(session=session, clinic_id=clinic_id, officer_id=OFFICER)
        return listing.initiatives


async def test_latest_findings_replace_older_ones_and_ids_survive_a_re_ranking(
    sessions: db.SessionFactory,
) -> None:
    clinic_id = await clinic(sessions)
    now = datetime.now(UTC)
    first = audit(clinic_id, at=now, categories={"documentation": 900, "billing": 300})
    async with sessions() as session:
        assert await proposals.record_audit(session=session, event=first)
        await session.commit()
    before = await proposed(sessions, clinic_id)
    assert [i.problem for i in before] == ["documentation", "billing"]

    async with sessions() as session:
        stale = audit(clinic_id, at=now - timedelta(days=30), categories={"marketing": 5_000})
        assert not await proposals.record_audit(session=session, event=stale)
        assessment = AssessmentCompleted(
            clinic_id=clinic_id,
            assessment_id=uuid.uuid4(),
            questionnaire_version="1",
            overall_score=90,
            level="advanced",
            dimension_scores={},
            completed_at=now,
        )
        assert await proposals.record_assessment(session=session, event=assessment)
        await session.commit()
    after = await proposed(sessions, clinic_id)
    assert [i.id for i in after] == [i.id for i in before]
    assert after[0].readiness > before[0].readiness

    async with sessions() as session:
        newer = audit(clinic_id, at=now + timedelta(days=7), categories={"billing": 2_000})
        assert await proposals.record_audit(session=session, event=newer)
        await session.commit()
    assert [i.problem for i in await proposed(sessions, clinic_id)] == ["billing"]


async def clinic_with_two_initiatives(
    sessions: db.SessionFactory,
) -> tuple[uuid.UUID, list[InitiativePublic]]:
    """A clinic whose audit proposes two initiatives: documentation first, then billing."""
    clinic_id = await clinic(sessions)
    async with sessions() as session:
        await proposals.record_audit(
            session=session,
            event=audit(clinic_id, at=datetime.now(UTC), categories={"documentation": 900, "billing": 300}),
        )
        await session.commit()
    return clinic_id, await proposed(sessions, clinic_id)


async def test_approval_refusals_change_nothing(sessions: db.SessionFactory) -> None:
    clinic_id, (first, second) = await clinic_with_two_initiatives(sessions)
    approval = ApprovalIn(owner="staff-lead-1", target_change_pct=-30)

    async with sessions() as session:
        with pytest.raises(NotFound):
            await approve_initiative(
                session=session,
                pseudonym_secret="test-pseudonyms",
                start_plan=FakeStarter(),
                initiative_id=first.id,
                officer_id="someone-else",
                approval=approval,
            )
    failing = FakeStarter(fail=True)
    async with sessions() as session:
        with pytest.raises(RuntimeError):
            await approve_initiative(
                session=session,
                pseudonym_secret="test-pseudonyms",
                start_plan=failing,
                initiative_id=first.id,
                officer_id=OFFICER,
                approval=approval,
            )
    async with sessions() as session:
        assert (await session.exec(APPROVALS_STAGED)).all() == []
        assert (await session.exec(select(RoadmapPlan))).all() == []

    starter = FakeStarter()
    async with sessions() as session:
        approved = await approve_initiative(
            session=session,
            pseudonym_secret="test-pseudonyms",
            start_plan=starter,
            initiative_id=first.id,
            officer_id=OFFICER,
            approval=approval,
        )
    assert approved.status == "approved"
    [plan_input] = starter.started
    assert approved.plan_id == plan_input.plan_id
    assert plan_input.phase_seconds["pilot"] == 42 * 86_400

    async with sessions() as session:
        with pytest.raises(Conflict, match="one problem first"):
            await approve_initiative(
                session=session,
                pseudonym_secret="test-pseudonyms",
                start_plan=starter,
                initiative_id=second.id,
                officer_id=OFFICER,
                approval=approval,
            )
    async with sessions() as session:
        assert len((await session.exec(APPROVALS_STAGED)).all()) == 1
    assert len(starter.started) == 1

    # Once the first plan reaches sustain, the next initiative may start.
    async with sessions() as session:
        plan = await session.get(RoadmapPlan, (clinic_id, approved.plan_id))
        assert plan is not None
        plan.phase = "sustain"
        session.add(plan)
        await session.commit()
    async with sessions() as session:
        await approve_initiative(
            session=session,
            pseudonym_secret="test-pseudonyms",
            start_plan=starter,
            initiative_id=second.id,
            officer_id=OFFICER,
            approval=approval,
        )
    assert len(starter.started) == 2


async def test_two_approvals_at_the_same_instant_start_one_plan(sessions: db.SessionFactory) -> None:
    _, initiatives = await clinic_with_two_initiatives(sessions)
    # Each approval passes the "one problem first" check before the other has committed.
    starter = FakeStarter(delay=0.3)

    async def approve(initiative: InitiativePublic) -> str:
        async with sessions() as session:
            try:
                await approve_initiative(
                    session=session,
                    pseudonym_secret="test-pseudonyms",
                    start_plan=starter,
                    initiative_id=initiative.id,
                    officer_id=OFFICER,
                    approval=ApprovalIn(owner="staff-lead-1", target_change_pct=-30),
                )
            except Conflict as refused:
                return refused.message
            return "approved"

    outcomes = await asyncio.gather(*(approve(initiative) for initiative in initiatives))

    assert sorted(outcome.split(":")[0] for outcome in outcomes) == ["approved", "one problem first"]
    assert len(starter.started) == 1
    async with sessions() as session:
        assert len((await session.exec(select(RoadmapPlan))).all()) == 1
        assert len((await session.exec(APPROVALS_STAGED)).all()) == 1


async def test_phase_change_is_recorded_and_published_once_however_often_retried(
    sessions: db.SessionFactory,
) -> None:
    activities = PlanActivities(sessions)
    clinic_id, initiative_id = uuid.uuid4(), uuid.uuid4()
    environment = ActivityEnvironment()
    change = PhaseChange(
        plan_id=f"plan-{initiative_id}",
        clinic_id=str(clinic_id),
        initiative_id=str(initiative_id),
        seq=1,
        phase="baseline",
        previous_phase=None,
        reason="initiative approved",
        changed_at=datetime.now(UTC).isoformat(),
    )
    assert await environment.run(activities.record_phase_change, change) is True
    assert await environment.run(activities.record_phase_change, change) is False
    pilot = PhaseChange(**{**change.__dict__, "seq": 3, "phase": "pilot", "previous_phase": "preparation"})
    await environment.run(activities.record_phase_change, pilot)
    late = PhaseChange(**{**change.__dict__, "seq": 2, "phase": "preparation", "previous_phase": "baseline"})
    await environment.run(activities.record_phase_change, late)  # recorded, but never moves the plan back
    notice = PlanNotice(
        plan_id=change.plan_id,
        clinic_id=str(clinic_id),
        key="k/1/checkin",
        kind="checkin",
        message="hi",
        initiative_id=str(initiative_id),
        phase="pilot",
        raised_at=datetime.now(UTC).isoformat(),
    )
    assert await environment.run(activities.send_plan_reminder, notice) is True
    assert await environment.run(activities.send_plan_reminder, notice) is False

    async with sessions() as session:
        plan = await session.get(RoadmapPlan, (clinic_id, change.plan_id))
        assert plan is not None
        assert plan.phase == "pilot"
        transitions = (await session.exec(select(RoadmapPlanTransition))).all()
        assert sorted(row.seq for row in transitions) == [1, 2, 3]
        events = (await session.exec(select(OutboxMessage))).all()
        # The notice is published once too.
        assert [row.topic for row in events] == ["roadmap.plan.phase-changed.v1"] * 3 + [
            "roadmap.plan.notice-raised.v1"
        ]
        assert b'"phase":"pilot"' in events[-1].payload
        assert len((await session.exec(select(RoadmapPlanNotice))).all()) == 1


async def test_next_initiative_is_the_best_one_not_yet_started(sessions: db.SessionFactory) -> None:
    clinic_id, (first, second) = await clinic_with_two_initiatives(sessions)
    async with sessions() as session:
        row = await session.get(Initiative, (clinic_id, first.id))
        assert row is not None
        row.status = "done"
        session.add(row)
        await session.commit()
    suggestion = await ActivityEnvironment().run(
        PlanActivities(sessions).suggest_next_initiative, str(clinic_id)
    )
    assert (suggestion.initiative_id, suggestion.problem) == (str(second.id), "billing")
    async with sessions() as session:
        listing = await list_initiatives(session=session, clinic_id=clinic_id, officer_id=OFFICER)
    assert listing.recommended_id == second.id
    assert listing.recommendation.startswith("suggested next")


def test_live_view_counts_the_time_since_the_workflow_last_stepped() -> None:
    as_of = datetime(2026, 11, 2, tzinfo=UTC)
    status = PlanStatus(
        plan_id="p",
        phase="pilot",
        paused=False,
        day_in_phase=3,
        active_seconds=3.5 * 86_400,
        as_of=as_of.isoformat(),
        phase_length_days=42,
        next_milestone="",
        next_milestone_at="",
        awaiting_decision=False,
        pilot_extended=False,
        kpi="no_show_rate",
        target_change_pct=-25,
        latest_kpi_week="",
        latest_kpi_value=None,
        latest_kpi_progress=None,
        alerts_in_a_row=0,
        retrainings=0,
        escalations=0,
        next_initiative_id="",
        runs=1,
    )
    assert live_view(status, now=as_of + timedelta(days=2))["day_in_phase"] == 5
    paused = PlanStatus(**{**status.__dict__, "paused": True})
    assert live_view(paused, now=as_of + timedelta(days=2))["day_in_phase"] == 3


@pytest.mark.parametrize("instant", DATES, ids=[instant.isoformat() for instant in DATES])
async def test_a_baseline_from_the_feeds_history_is_the_whole_weeks_before_approval(
    sessions: db.SessionFactory, instant: datetime
) -> None:
    with clock.set_to(instant):
        _, (first, _second) = await clinic_with_two_initiatives(sessions)
        approval = ApprovalIn(owner="staff-lead-1", target_change_pct=-30, baseline_from_history_weeks=4)
        starter = FakeStarter()
        async with sessions() as session:
            await approve_initiative(
                session=session,
                pseudonym_secret="test-pseudonyms",
                start_plan=starter,
                initiative_id=first.id,
                officer_id=OFFICER,
                approval=approval,
            )
            [staged] = (await session.exec(APPROVALS_STAGED)).all()
    event = InitiativeApproved.model_validate_json(staged.payload)
    # The four ISO weeks before the week of approval, Monday to Sunday, whatever the weekday.
    year, week, _ = (instant.date() - timedelta(weeks=4)).isocalendar()
    first_monday = date.fromisocalendar(year, week, 1)
    assert (event.baseline_start, event.baseline_end) == (first_monday, first_monday + timedelta(days=27))
    # The weeks are already measured: the baseline phase only confirms the feed is live.
    assert starter.started[0].phase_seconds["baseline"] == 86_400
    with pytest.raises(ValidationError, match="not both"):
        ApprovalIn(
            owner="staff-lead-1",
            target_change_pct=-30,
            baseline_from_history_weeks=4,
            baseline={"source": "manual_count", "value": 0.3, "weekly_volume": 100},
        )
    explicit = ApprovalIn(
        owner="staff-lead-1", target_change_pct=-30, baseline_from_history_weeks=4, phase_days={"baseline": 7}
    )
    assert explicit.phase_days.baseline == 7 and explicit.baseline_days == 28


def test_a_baseline_ends_on_the_clinics_own_last_sunday() -> None:
    approval = ApprovalIn(owner="staff-lead-1", target_change_pct=-30, baseline_from_history_weeks=2)
    # 06:00 UTC on Monday 14 December 2026 is still Sunday the 13th, 22:00, in Los Angeles.
    now = datetime(2026, 12, 14, 6, 0, tzinfo=UTC)
    los_angeles = ClinicCalendar(time_zone="America/Los_Angeles")
    assert baseline_window(approval, calendar=los_angeles, now=now) == (
        date(2026, 11, 23),
        date(2026, 12, 6),
    )
    assert baseline_window(approval, calendar=ClinicCalendar(), now=now) == (
        date(2026, 11, 30),
        date(2026, 12, 13),
    )
