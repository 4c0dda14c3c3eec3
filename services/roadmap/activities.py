"""The plan workflow's side effects: recording phases (with their event), notices, the next suggestion.

Each activity is idempotent on a key the workflow computes deterministically, so a retry
after a crash between the commit and the acknowledgement changes nothing and emits nothing
twice. Events go through the outbox in the same transaction as the state they describe;
the roadmap app's relay publishes them.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlmodel import col, select
from temporalio import activity
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from services.roadmap.models import (
    Initiative,
    RoadmapPlan,
    RoadmapPlanNotice,
    RoadmapPlanTransition,
)
from services.roadmap.plans import NextInitiative, PhaseChange, PlanNotice
from shared.db import SessionFactory
from shared.events.roadmap import PlanPhaseChanged
from shared.outbox import add_to_outbox

SOURCE = "/faio/roadmap"

# Bounded retries: a database that is briefly locked or down recovers within a few attempts;
# bad input (an unknown phase) never will, so it fails at once and the workflow sees it.
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=8,
    non_retryable_error_types=["InvalidPlanInput"],
)

FINAL_STATUS = {"done": "done", "stopped": "stopped"}
KNOWN_PHASES = {"baseline", "preparation", "pilot", "evaluation", "rollout", "sustain", "done", "stopped"}


class PlanActivities:
    """Activities of ImplementationPlanWorkflow, given the roadmap database."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="record_phase_change")
    async def record_phase_change(self, change: PhaseChange) -> bool:
        """Record the plan's new phase and stage roadmap.plan.phase-changed.v1; False if already done."""
        if change.phase not in KNOWN_PHASES:
            raise ApplicationError(
                f"unknown phase {change.phase!r}", type="InvalidPlanInput", non_retryable=True
            )
        changed_at = datetime.fromisoformat(change.changed_at)
        async with self.sessions() as session:
            if await session.get(RoadmapPlanTransition, (change.plan_id, change.seq)) is not None:
                return False  # a retry of an attempt that did commit
            session.add(
                RoadmapPlanTransition(
                    plan_id=change.plan_id,
                    seq=change.seq,
                    phase=change.phase,
                    previous_phase=change.previous_phase,
                    reason=change.reason[:500],
                    changed_at=changed_at,
                )
            )
            plan = await session.get(RoadmapPlan, change.plan_id) or RoadmapPlan(
                id=change.plan_id,
                clinic_id=UUID(change.clinic_id),
                initiative_id=UUID(change.initiative_id),
                phase=change.phase,
                started_at=changed_at,
            )
            if change.seq >= plan.seq:  # transitions are recorded in order; never move a plan back
                plan.phase = change.phase
                plan.previous_phase = change.previous_phase
                plan.reason = change.reason[:500]
                plan.seq = change.seq
                plan.updated_at = changed_at
            session.add(plan)
            if change.phase in FINAL_STATUS:
                initiative = await session.get(Initiative, UUID(change.initiative_id))
                if initiative is not None:
                    initiative.status = FINAL_STATUS[change.phase]
                    session.add(initiative)
            add_to_outbox(
                session,
                PlanPhaseChanged(
                    clinic_id=UUID(change.clinic_id),
                    initiative_id=UUID(change.initiative_id),
                    plan_id=change.plan_id,
                    phase=change.phase,  # checked against KNOWN_PHASES above
                    previous_phase=change.previous_phase,
                    reason=change.reason,
                    changed_at=changed_at,
                ),
                source=SOURCE,
                subject=change.clinic_id,
            )
            await session.commit()
        activity.logger.info("plan %s entered %s (%s)", change.plan_id, change.phase, change.reason)
        return True

    async def _record_notice(self, notice: PlanNotice) -> bool:
        async with self.sessions() as session:
            if await session.get(RoadmapPlanNotice, notice.key) is not None:
                return False
            session.add(
                RoadmapPlanNotice(
                    key=notice.key,
                    plan_id=notice.plan_id,
                    clinic_id=UUID(notice.clinic_id),
                    kind=notice.kind,
                    message=notice.message[:1000],
                )
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
        """Book a retraining session for staff whose use of the tool is fading."""
        return await self._record_notice(notice)

    @activity.defn(name="escalate_to_officer")
    async def escalate_to_officer(self, notice: PlanNotice) -> bool:
        """Escalate to the officer: adoption keeps declining, or a decision is overdue."""
        return await self._record_notice(notice)

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
        ]
