"""The plan workflow's side effects: recording phases (with their event), notices, the next suggestion.

Each activity is idempotent on a key the workflow computes deterministically, so a retry
after a crash between the commit and the acknowledgement changes nothing and emits nothing
twice. Events go through the outbox in the same transaction as the state they describe;
the roadmap app's relay publishes them.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, get_args
from uuid import UUID

from sqlmodel import col, select
from temporalio import activity
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from services.roadmap.models import (
    SOURCE,
    Initiative,
    RoadmapPlan,
    RoadmapPlanNotice,
    RoadmapPlanTransition,
)
from services.roadmap.plans.buy_in import service as buy_in
from services.roadmap.plans.buy_in import survey as buy_in_survey
from services.roadmap.plans.contracts import NextInitiative, PhaseChange, PlanNotice, TargetChange
from shared.db import SessionFactory
from shared.events.roadmap import (
    FINAL_PHASES,
    GATE_DECISIONS,
    PLAN_PHASES,
    URGENT_NOTICE_KINDS,
    NoticeKind,
    PlanNoticeRaised,
    PlanPhaseChanged,
    PlanTargetSet,
)
from shared.outbox import add_to_outbox

# Bounded retries: a database that is briefly locked or down recovers within a few attempts;
# bad input (an unknown phase) never will, so it fails at once and the workflow sees it.
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=8,
    non_retryable_error_types=["InvalidPlanInput"],
)

NOTICE_KINDS: tuple[str, ...] = get_args(NoticeKind)


def _invalid(reason: str) -> ApplicationError:
    """Input no retry can fix: the workflow sees it at once."""
    return ApplicationError(reason, type="InvalidPlanInput", non_retryable=True)


class PlanActivities:
    """Activities of ImplementationPlanWorkflow, given the roadmap database."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="record_phase_change")
    async def record_phase_change(self, change: PhaseChange) -> bool:
        """Record the plan's new phase and stage roadmap.plan.phase-changed.v1; False if already done."""
        if change.phase not in PLAN_PHASES:
            raise _invalid(f"unknown phase {change.phase!r}")
        changed_at = datetime.fromisoformat(change.changed_at)
        # The officer's note stays with the transition (the plan's history, the owner's close-out).
        recorded = f"{change.reason}: {change.note}" if change.note else change.reason
        clinic_id = UUID(change.clinic_id)
        async with self.sessions() as session:
            if await session.get(RoadmapPlanTransition, (clinic_id, change.plan_id, change.seq)) is not None:
                return False  # a retry of an attempt that did commit
            session.add(
                RoadmapPlanTransition(
                    clinic_id=clinic_id,
                    plan_id=change.plan_id,
                    seq=change.seq,
                    phase=change.phase,
                    previous_phase=change.previous_phase,
                    reason=recorded[:500],
                    changed_at=changed_at,
                )
            )
            plan = await session.get(RoadmapPlan, (clinic_id, change.plan_id)) or RoadmapPlan(
                id=change.plan_id,
                clinic_id=clinic_id,
                initiative_id=UUID(change.initiative_id),
                phase=change.phase,
                started_at=changed_at,
            )
            if change.seq >= plan.seq:  # transitions are recorded in order; never move a plan back
                plan.phase = change.phase
                plan.previous_phase = change.previous_phase
                plan.reason = recorded[:500]
                plan.seq = change.seq
                plan.updated_at = changed_at
            session.add(plan)
            # A round closes with its stage (a before-pilot round when the pilot starts): results can show.
            await buy_in_survey.close_rounds_past_phase(session, plan)
            initiative = await session.get(Initiative, (clinic_id, UUID(change.initiative_id)))
            if initiative is not None and change.phase in FINAL_PHASES:
                initiative.status = change.phase  # the initiative ends as its plan did: done or stopped
                session.add(initiative)
            planned = (initiative.phase_days if initiative is not None else {}).get(change.phase)
            add_to_outbox(
                session,
                PlanPhaseChanged(
                    clinic_id=UUID(change.clinic_id),
                    initiative_id=UUID(change.initiative_id),
                    plan_id=change.plan_id,
                    phase=change.phase,  # checked against PLAN_PHASES above
                    previous_phase=change.previous_phase,
                    reason=change.reason,
                    decision=next((kind for kind in GATE_DECISIONS if kind == change.decision), None),
                    changed_at=changed_at,
                    planned_days=planned,
                ),
                source=SOURCE,
                subject=change.clinic_id,
            )
            await session.commit()
        activity.logger.info("plan %s entered %s (%s)", change.plan_id, change.phase, change.reason)
        return True

    async def _record_notice(self, notice: PlanNotice) -> bool:
        """Record the notice and stage roadmap.plan.notice-raised.v1 with it; False if already done."""
        if notice.kind not in NOTICE_KINDS:
            raise _invalid(f"unknown notice kind {notice.kind!r}")
        raised_at = datetime.fromisoformat(notice.raised_at)
        async with self.sessions() as session:
            if await session.get(RoadmapPlanNotice, (UUID(notice.clinic_id), notice.key)) is not None:
                return False
            if notice.phase not in PLAN_PHASES:
                raise _invalid(f"unknown phase {notice.phase!r}")
            session.add(
                RoadmapPlanNotice(
                    key=notice.key,
                    plan_id=notice.plan_id,
                    clinic_id=UUID(notice.clinic_id),
                    kind=notice.kind,
                    message=notice.message[:1000],
                    created_at=raised_at,
                )
            )
            add_to_outbox(
                session,
                PlanNoticeRaised(
                    clinic_id=UUID(notice.clinic_id),
                    initiative_id=UUID(notice.initiative_id),
                    plan_id=notice.plan_id,
                    key=notice.key,
                    kind=notice.kind,  # checked against NoticeKind above
                    urgent=notice.kind in URGENT_NOTICE_KINDS,
                    phase=notice.phase,  # checked against PLAN_PHASES above
                    message=notice.message[:1000],
                    due_at=datetime.fromisoformat(notice.due_at) if notice.due_at else None,
                    raised_at=raised_at,
                ),
                source=SOURCE,
                subject=notice.clinic_id,
            )
            await session.commit()
        activity.logger.info("plan %s: %s: %s", notice.plan_id, notice.kind, notice.message)
        return True

    @activity.defn(name="send_plan_reminder")
    async def send_plan_reminder(self, notice: PlanNotice) -> bool:
        """A check-in, training or communication reminder to the plan's owner and staff."""
        return await self._record_notice(notice)

    @activity.defn(name="notify_officer")
    async def notify_officer(self, notice: PlanNotice) -> bool:
        """Tell the officer something that needs their attention (pilot extended, decision needed)."""
        return await self._record_notice(notice)

    @activity.defn(name="schedule_retraining")
    async def schedule_retraining(self, notice: PlanNotice) -> bool:
        """Book a retraining session for staff whose use of the tool is fading: a tracked session too."""
        recorded = await self._record_notice(notice)
        booked_on = datetime.fromisoformat(notice.raised_at).date()
        async with self.sessions() as session:  # idempotent on the notice key, like the notice
            await buy_in.book_retraining(
                session,
                clinic_id=UUID(notice.clinic_id),
                plan_id=notice.plan_id,
                notice_key=notice.key,
                booked_on=booked_on,
            )
        return recorded

    @activity.defn(name="escalate_to_officer")
    async def escalate_to_officer(self, notice: PlanNotice) -> bool:
        """Escalate to the officer: adoption keeps declining, or a decision is overdue."""
        return await self._record_notice(notice)

    @activity.defn(name="tell_target")
    async def tell_target(self, change: TargetChange) -> None:
        """Stage roadmap.plan.target-set.v1: kpi charts and measures progress against this target.

        A retry after a commit stages it again: the same target twice changes nothing at kpi.
        """
        async with self.sessions() as session:
            add_to_outbox(
                session,
                PlanTargetSet(
                    clinic_id=UUID(change.clinic_id),
                    initiative_id=UUID(change.initiative_id),
                    plan_id=change.plan_id,
                    target_change_pct=change.target_change_pct,
                    problem=change.problem[:500],
                    given_as=change.given_as,
                    baseline_value=change.baseline_value,
                    locked=change.locked,
                    set_at=datetime.fromisoformat(change.set_at),
                ),
                source=SOURCE,
                subject=change.clinic_id,
            )
            await session.commit()
        activity.logger.info("plan %s: target %+g %%", change.plan_id, change.target_change_pct)

    @activity.defn(name="suggest_next_initiative")
    async def suggest_next_initiative(self, clinic_id: str) -> NextInitiative:
        """The best proposed initiative of the clinic not yet started, marked as recommended."""
        async with self.sessions() as session:
            statement = (
                select(Initiative)
                .where(Initiative.clinic_id == UUID(clinic_id), Initiative.status == "proposed")
                .order_by(col(Initiative.rank))
            )
            proposed = list((await session.exec(statement)).all())
            if not proposed:
                return NextInitiative()
            best = proposed[0]
            for initiative in proposed:
                initiative.recommended = initiative.id == best.id
                session.add(initiative)
            if not best.reason.startswith("suggested next"):
                best.reason = f"suggested next, once the previous plan finished: {best.reason}"[:500]
            await session.commit()
            return NextInitiative(initiative_id=str(best.id), problem=best.problem)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.record_phase_change,
            self.send_plan_reminder,
            self.notify_officer,
            self.schedule_retraining,
            self.escalate_to_officer,
            self.suggest_next_initiative,
            self.tell_target,
        ]
