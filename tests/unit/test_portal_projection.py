"""The portal's read model: each event becomes the same rows however often, and in whatever order."""

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from sqlmodel import col, select

from services.portal.pages import portfolio, today
from services.portal.read_model import projection
from services.portal.read_model.models import (
    PortalAssessment,
    PortalClinic,
    PortalInitiative,
    PortalKpiSeries,
    PortalKpiWeek,
    PortalNotice,
    PortalOpenAudit,
    PortalPlan,
    PortalPlanTransition,
)
from shared import db
from shared.events.audit import AuditCompleted, AuditOpened
from shared.events.intake import AssessmentCompleted, ClinicArchived, ClinicRegistered, ClinicUpdated
from shared.events.kpi import KpiSnapshot
from shared.events.roadmap import InitiativeApproved, InitiativeProposed, PlanNoticeRaised, PlanPhaseChanged

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


def registered(clinic_id: UUID, name: str = "Harbor Orthopedics") -> ClinicRegistered:
    return ClinicRegistered(
        clinic_id=clinic_id, officer_id="officer-a", name=name, specialty="orthopedics", locations=2
    )


async def test_a_registration_then_an_update_keep_the_newer_profile_in_either_order(
    portal_sessions: db.SessionFactory,
) -> None:
    clinic_id = uuid4()
    update = ClinicUpdated(
        clinic_id=clinic_id,
        officer_id="officer-a",
        name="Harbor Ortho & Spine",
        specialty="orthopedics",
        locations=3,
        updated_at=T0 + timedelta(hours=1),
    )
    async with portal_sessions() as session:
        # The update overtook the registration.
        await projection.record_clinic(session=session, event=update, event_time=update.updated_at)
        await projection.record_clinic(session=session, event=registered(clinic_id), event_time=T0)
        await session.commit()
        clinic = await session.get(PortalClinic, clinic_id)
    assert clinic is not None
    assert (clinic.name, clinic.locations, clinic.officer_id) == ("Harbor Ortho & Spine", 3, "officer-a")


async def test_an_archived_clinic_is_kept_but_marked(portal_sessions: db.SessionFactory) -> None:
    clinic_id = uuid4()
    async with portal_sessions() as session:
        await projection.record_clinic(session=session, event=registered(clinic_id), event_time=T0)
        await projection.record_clinic_archived(
            session=session, event=ClinicArchived(clinic_id=clinic_id, officer_id="officer-a", archived_at=T0)
        )
        await session.commit()
        clinic = await session.get(PortalClinic, clinic_id)
    assert clinic is not None and clinic.archived and clinic.name == "Harbor Orthopedics"


async def test_an_older_assessment_never_replaces_a_newer_one(portal_sessions: db.SessionFactory) -> None:
    clinic_id = uuid4()

    def assessment(score: float, when: datetime) -> AssessmentCompleted:
        return AssessmentCompleted(
            clinic_id=clinic_id,
            assessment_id=uuid4(),
            questionnaire_version="v1",
            overall_score=score,
            level="foundational",
            dimension_scores={"leadership_support": score},
            completed_at=when,
        )

    async with portal_sessions() as session:
        await projection.record_assessment(session=session, event=assessment(70, T0 + timedelta(days=1)))
        await projection.record_assessment(session=session, event=assessment(40, T0))
        await session.commit()
        latest = await session.get(PortalAssessment, clinic_id)
    assert latest is not None and latest.overall_score == 70


async def test_a_proposal_then_its_approval_and_the_plan_phases(portal_sessions: db.SessionFactory) -> None:
    clinic_id, initiative_id = uuid4(), uuid4()
    proposed = InitiativeProposed(
        clinic_id=clinic_id,
        initiative_id=initiative_id,
        rank=1,
        problem="documentation",
        solution="AI scribe",
        kpi="documentation_minutes_per_note",
        hours_per_week=31.5,
        cost_per_week=2100,
        suggested_target_pct=-30,
        recommended=True,
        proposed_at=T0,
    )
    approved = InitiativeApproved(
        clinic_id=clinic_id,
        initiative_id=initiative_id,
        problem="documentation",
        owner="pm-1",
        kpi="documentation_minutes_per_note",
        baseline_start=date(2026, 11, 2),
        baseline_end=date(2026, 11, 15),
        target_change_pct=-25,
        pilot_group=["dr-1", "dr-2"],
        approved_at=T0 + timedelta(days=1),
        plan_id="plan-1",
    )

    def phase(name: str, previous: str | None, days: int) -> PlanPhaseChanged:
        return PlanPhaseChanged(
            clinic_id=clinic_id,
            initiative_id=initiative_id,
            plan_id="plan-1",
            phase=name,
            previous_phase=previous,
            changed_at=T0 + timedelta(days=days),
            planned_days={"baseline": 14, "pilot": 42}[name],
        )

    async with portal_sessions() as session:
        await projection.record_initiative_approved(session=session, event=approved)
        await projection.record_initiative_proposed(session=session, event=proposed)  # arrived late
        # Phase changes out of order, one twice.
        await projection.record_phase_change(session=session, event=phase("pilot", "preparation", 30))
        await projection.record_phase_change(session=session, event=phase("baseline", None, 1))
        await projection.record_phase_change(session=session, event=phase("pilot", "preparation", 30))
        await session.commit()
        initiative = await session.get(PortalInitiative, (clinic_id, initiative_id))
        plan = await session.get(PortalPlan, (clinic_id, "plan-1"))
        timeline = (await session.exec(select(PortalPlanTransition))).all()
    assert initiative is not None
    assert (initiative.status, initiative.owner, initiative.cost_per_week) == (
        "approved",
        "pm-1",
        2100,
    )
    assert initiative.target_change_pct == -25 and initiative.pilot_group_size == 2
    assert plan is not None and plan.phase == "pilot"
    assert sorted(row.phase for row in timeline) == ["baseline", "pilot"]
    # The portfolio says where in the phase the plan is, from the planned length the event carries.
    stage = portfolio._stage(
        plan,
        has_assessment=True,
        has_audit=True,
        has_initiative=True,
        due=None,
        now=T0 + timedelta(days=32, hours=1),
    )
    assert stage == ("plan:pilot", "pilot, day 3 of 42")


async def test_a_notice_raised_twice_is_one_row(portal_sessions: db.SessionFactory) -> None:
    notice = PlanNoticeRaised(
        clinic_id=uuid4(),
        initiative_id=uuid4(),
        plan_id="plan-2",
        key="plan-2:decision_needed:1",
        kind="decision_needed",
        urgent=True,
        phase="evaluation",
        message="The pilot ended: documentation minutes 11.2 vs target 9.0.",
        due_at=T0 + timedelta(days=7),
        raised_at=T0,
    )
    async with portal_sessions() as session:
        await projection.record_notice(session=session, event=notice)
        await session.commit()
    async with portal_sessions() as session:
        await projection.record_notice(session=session, event=notice)
        await session.commit()
        rows = (await session.exec(select(PortalNotice))).all()
    assert len(rows) == 1 and rows[0].urgent and rows[0].mail_state == ""


async def test_a_resent_kpi_week_replaces_the_earlier_figure(portal_sessions: db.SessionFactory) -> None:
    clinic_id = uuid4()

    def snapshot(value: float, sample: int) -> KpiSnapshot:
        return KpiSnapshot(
            clinic_id=clinic_id, kpi="missed_call_rate", week="2026-W45", value=value, sample_size=sample
        )

    async with portal_sessions() as session:
        await projection.record_snapshot(session=session, event=snapshot(0.3, 100), received_at=T0)
        await projection.record_snapshot(session=session, event=snapshot(0.25, 140), received_at=T0)
        await session.commit()
        rows = (await session.exec(select(PortalKpiWeek))).all()
    assert [(row.value, row.sample_size) for row in rows] == [(0.25, 140)]


async def test_a_batch_of_kpi_weeks_is_one_upsert_and_the_later_figure_wins(
    portal_sessions: db.SessionFactory,
) -> None:
    clinic_id = uuid4()

    def snapshot(week: str, value: float) -> KpiSnapshot:
        return KpiSnapshot(clinic_id=clinic_id, kpi="no_show_rate", week=week, value=value, sample_size=80)

    async with portal_sessions() as session:
        await projection.record_snapshot(session=session, event=snapshot("2026-W44", 0.2), received_at=T0)
        await projection.record_snapshots(
            session=session,
            events=[snapshot("2026-W44", 0.18), snapshot("2026-W45", 0.15), snapshot("2026-W45", 0.14)],
            received_at=T0,
        )
        await session.commit()
        rows = (await session.exec(select(PortalKpiWeek).order_by(col(PortalKpiWeek.week)))).all()
    assert [(row.week, row.value) for row in rows] == [("2026-W44", 0.18), ("2026-W45", 0.14)]


async def test_the_portfolio_series_keeps_the_latest_weeks_in_order(
    portal_sessions: db.SessionFactory,
) -> None:
    clinic_id = uuid4()
    weeks = [f"2026-W{number:02d}" for number in range(1, 16)]
    async with portal_sessions() as session:
        await projection.record_snapshots(
            session=session,
            events=[
                KpiSnapshot(
                    clinic_id=clinic_id, kpi="no_show_rate", week=week, value=index / 100, sample_size=50
                )
                for index, week in enumerate(reversed(weeks))  # arrival order does not matter
            ],
            received_at=T0,
        )
        await projection.record_snapshot(
            session=session,
            event=KpiSnapshot(
                clinic_id=clinic_id, kpi="no_show_rate", week="2026-W15", value=0.5, sample_size=9
            ),
            received_at=T0,
        )
        await session.commit()
        series = await session.get(PortalKpiSeries, (clinic_id, "no_show_rate"))
    assert series is not None
    assert [point[0] for point in series.recent] == weeks[-projection.SERIES_WEEKS :]
    assert series.recent[-1][1:3] == [0.5, 9]
    # The newest week, as the columns the whole portfolio reads without decoding the series.
    assert (series.latest_week, series.latest_value, series.latest_sample) == ("2026-W15", 0.5, 9)


async def test_a_clinic_is_auditing_from_the_opening_until_that_audit_completes(
    portal_sessions: db.SessionFactory,
) -> None:
    clinic_id, audit_id = uuid4(), uuid4()
    opened = AuditOpened(
        clinic_id=clinic_id,
        audit_id=audit_id,
        starts_on=date(2026, 11, 2),
        ends_on=date(2026, 11, 8),
        opened_at=T0,
    )
    async with portal_sessions() as session:
        await projection.record_audit_opened(session=session, event=opened)
        await session.commit()
        open_audit = await session.get(PortalOpenAudit, clinic_id)
    assert open_audit is not None
    on_day_three = datetime(2026, 11, 4, 15, tzinfo=UTC)
    stage = portfolio._stage(
        None,
        has_assessment=True,
        has_audit=False,
        has_initiative=False,
        due=None,
        now=on_day_three,
        open_audit=open_audit,
    )
    assert stage == ("auditing", "auditing, day 3 of 7")

    completed = AuditCompleted(
        clinic_id=clinic_id,
        audit_id=audit_id,
        window_start=date(2026, 11, 2),
        window_end=date(2026, 11, 8),
        total_hours_per_week=10,
        total_cost_per_week=300,
        low_confidence=False,
        candidates=[],
        completed_at=T0 + timedelta(days=7),
    )
    async with portal_sessions() as session:
        await projection.record_audit(session=session, event=completed)
        await session.commit()
        assert await session.get(PortalOpenAudit, clinic_id) is None
        # The opening delivered late (after the completion) does not reopen it.
        await projection.record_audit_opened(session=session, event=opened)
        await session.commit()
        assert await session.get(PortalOpenAudit, clinic_id) is None


def test_the_gate_evidence_tells_baseline_weeks_from_the_weeks_after() -> None:
    # 2026-W46 runs Nov 9-15, W47 Nov 16-22: a baseline ending Nov 18 covers W46 whole, W47 only in part.
    assert today._period("2026-W46", date(2026, 11, 18)) == "baseline"
    assert today._period("2026-W47", date(2026, 11, 18)) == "after baseline"
    assert today._period("2026-W46", None) == "after baseline"


def test_a_kpi_is_not_judged_on_its_baseline_weeks() -> None:
    # [week, value, sample, baseline, target, progress]: W46 was measured for the baseline, W47 after it.
    baseline_only = [["2026-W46", 0.4, 90, 0.4, 0.2, 0.0]]
    after = [*baseline_only, ["2026-W47", 0.45, 90, 0.4, 0.2, -0.25]]
    baseline_end = date(2026, 11, 15)
    assert (
        portfolio._kpi_summary("missed_call_rate", baseline_only[-1], "pilot", baseline_end).colour == "grey"
    )
    assert portfolio._kpi_summary("missed_call_rate", after[-1], "pilot", baseline_end).colour == "red"
