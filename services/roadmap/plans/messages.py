"""What reaches a running plan from outside: signals, validated updates and the status query.

The base of ImplementationPlanWorkflow (workflows.py), which runs the phases; both share the
plan's input and its PlanState. Handlers only change state or refuse: activities and timers
belong to the run loop.
"""

from datetime import datetime, timedelta
from typing import get_args

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.roadmap.plans import gate, phases, preparation, target_lock
    from services.roadmap.plans.contracts import (
        DAY_SECONDS,
        AdoptionAlert,
        GateAction,
        GateDecision,
        HandBaseline,
        KpiReading,
        PlanChange,
        PlanInput,
        PlanState,
        PlanStatus,
    )
    from shared.events.roadmap import FINAL_PHASES

MAX_SEEN_ALERTS = 50


class PlanMessages:
    """The plan's state as the outside world may read and change it."""

    def __init__(self, plan: PlanInput) -> None:
        self._plan = plan
        self._state = plan.state or PlanState(target_change_pct=plan.target_change_pct)
        self._wait_started: datetime | None = None  # when the current active wait began
        self._decision_due: datetime | None = None

    def _now(self) -> datetime:
        """The instant on faio's calendar (shared.clock): Temporal's time plus the plan's offset."""
        return workflow.now() + timedelta(seconds=self._plan.clock_offset_seconds)

    @workflow.signal
    def kpi_snapshot(self, reading: KpiReading) -> None:
        """A weekly KPI snapshot; only the plan's own KPI moves the gate."""
        if reading.kpi != self._plan.kpi:
            return
        state = self._state
        gate.remember_reading(state, reading)  # every week, whatever order they arrive in
        if state.hand_baseline is None and self._plan.baseline_value is None:
            target_lock.settle(self._plan, state, baseline=state.baseline_value, at=self._now().isoformat())
        if state.latest_kpi_week and reading.week < state.latest_kpi_week:
            return  # an older week arriving late never overwrites the newest one's figures
        state.latest_kpi_week = reading.week
        state.latest_kpi_value = reading.value
        state.latest_kpi_progress = phases.kpi_progress(
            value=reading.value,
            baseline=reading.baseline,
            target_change_pct=state.target_change_pct,
            progress=reading.progress,
        )

    @workflow.signal
    def adoption_alert(self, alert: AdoptionAlert) -> None:
        """A KPI alert; handled by the main loop (activities cannot run in a signal handler here)."""
        state = self._state
        if alert.alert_id in state.alerts_seen:
            return
        state.alerts_seen = [*state.alerts_seen, alert.alert_id][-MAX_SEEN_ALERTS:]
        state.alerts_pending.append(alert)

    @workflow.signal
    def buy_in_recorded(self) -> None:
        """A communication, training or waiver was recorded: a plan holding in preparation looks again."""
        self._state.buy_in_changes += 1

    @workflow.signal
    def pause(self) -> None:
        self._state.paused = True

    @workflow.signal
    def resume(self) -> None:
        self._state.paused = False

    @workflow.update
    def decide(self, decision: GateDecision) -> str:
        """The officer's gate decision: continue, extend or stop (refused unless the plan waits for it)."""
        self._accept_decision(decision)
        return f"decision {decision.action} accepted"

    @workflow.signal
    def gate_decision(self, decision: GateDecision) -> None:
        """The same decision for fire-and-forget clients; the API uses the validated `decide` update."""
        try:
            self._validate_decision(decision)
        except ValueError as error:
            workflow.logger.warning("gate decision ignored: %s", error)
            return
        self._accept_decision(decision)

    def _accept_decision(self, decision: GateDecision) -> None:
        state = self._state
        state.decision = decision.action
        state.decision_note = decision.note
        state.decision_extend_days = decision.extend_days
        state.decision_by = decision.decided_by

    @decide.validator
    def _validate_decision(self, decision: GateDecision) -> None:
        state = self._state
        if not state.awaiting_decision or state.decision:
            raise ValueError(f"the plan is not waiting for a gate decision: it is in {state.phase}")
        if decision.action not in get_args(GateAction):
            raise ValueError("action must be continue, extend or stop")
        if decision.action == "extend" and not 0 < decision.extend_days <= 120:
            raise ValueError("extend_days must be between 1 and 120")
        if decision.action == "extend" and state.extensions >= gate.MAX_EXTENSIONS:
            raise ValueError(
                "the pilot was extended once already: one extension at most, so the gate's error rate "
                "holds; decide continue or stop"
            )

    @workflow.update
    def provide_baseline(self, given: HandBaseline) -> PlanStatus:
        """A baseline entered by hand on the running plan, or the officer's reason for a pilot without one."""
        state = self._state
        if given.value is not None:
            state.hand_baseline = given
            target_lock.settle(self._plan, state, baseline=given.value, at=self._now().isoformat())
        if given.no_baseline_reason.strip():
            state.no_baseline_reason = given.no_baseline_reason.strip()
        return self.status()

    @provide_baseline.validator
    def _validate_baseline(self, given: HandBaseline) -> None:
        state = self._state
        if given.value is not None:
            target_lock.check_hand_baseline(self._plan, state, given.value)
        gate.check_hand_baseline(
            given,
            phase=state.phase,
            kpi=self._plan.kpi,
            target_change_pct=state.target_change_pct,
            target_pending=target_lock.is_pending(self._plan) and not target_lock.locked(state),
        )

    @workflow.update
    def change_plan(self, change: PlanChange) -> PlanStatus:
        """Change the KPI target and/or extend the current phase."""
        state = self._state
        if change.target_change_pct is not None:
            state.target_change_pct = change.target_change_pct
            state.target_history.append(
                {
                    "target_change_pct": change.target_change_pct,
                    "at": self._now().isoformat(),
                    "phase": state.phase,
                }
            )
        if change.extend_phase_days is not None:
            state.phase_seconds += change.extend_phase_days * DAY_SECONDS
        return self.status()

    @change_plan.validator
    def _validate_change(self, change: PlanChange) -> None:
        state = self._state
        if change.target_change_pct is None and change.extend_phase_days is None:
            raise ValueError("nothing to change: give target_change_pct and/or extend_phase_days")
        if state.phase in FINAL_PHASES:
            raise ValueError(f"the plan is {state.phase}")
        if change.target_change_pct is not None:
            if target_lock.is_pending(self._plan):
                raise ValueError(
                    f"target_change_pct: the target was given as {target_lock.as_given(self._plan)} and "
                    "is made relative from the baseline; approve again to give it another way"
                )
            if state.pilot_started_at:
                raise ValueError(
                    f"target_change_pct: the target ({state.target_change_pct:+g} %) was locked when the "
                    "pilot began, so the gate judges the pilot against what was promised before it"
                )
            if change.target_change_pct == 0:
                raise ValueError("target_change_pct must be a change, e.g. -30 or +25")
            if (change.target_change_pct > 0) != (state.target_change_pct > 0):
                raise ValueError(
                    f"the target must keep its direction ({state.target_change_pct:+g} %): "
                    "a KPI does not change which way is better"
                )
        if change.extend_phase_days is not None:
            if state.phase not in phases.TIMED_PHASES:
                raise ValueError(f"the {state.phase} phase has no length to extend")
            if not 0 < change.extend_phase_days <= 120:
                raise ValueError("extend_phase_days must be between 1 and 120")

    @workflow.query
    def status(self) -> PlanStatus:
        state = self._state
        elapsed = state.elapsed_seconds
        if self._wait_started is not None and not state.paused:
            elapsed += max((workflow.now() - self._wait_started).total_seconds(), 0.0)
        milestone, milestone_at = self._next_milestone(elapsed)
        return PlanStatus(
            plan_id=self._plan.plan_id,
            phase=state.phase,
            paused=state.paused,
            day_in_phase=int(elapsed // DAY_SECONDS),
            active_seconds=elapsed,
            as_of=self._now().isoformat(),
            phase_length_days=round(state.phase_seconds / DAY_SECONDS, 3),
            next_milestone=milestone,
            next_milestone_at=milestone_at,
            awaiting_decision=state.awaiting_decision,
            pilot_extended=state.pilot_extended,
            kpi=self._plan.kpi,
            target_change_pct=state.target_change_pct,
            latest_kpi_week=state.latest_kpi_week,
            latest_kpi_value=state.latest_kpi_value,
            latest_kpi_progress=state.latest_kpi_progress,
            alerts_in_a_row=state.alerts_in_a_row,
            retrainings=state.retrainings,
            escalations=state.escalations,
            next_initiative_id=state.next_initiative_id,
            runs=state.runs,
            gate_evidence=state.gate_evidence,
            signed_off_by=state.signed_off_by,
            signed_off_at=state.signed_off_at,
            awaiting_baseline=state.awaiting_baseline,
            baseline_source=gate.baseline_source(self._plan, state),
            no_baseline_reason=gate.no_baseline_reason(self._plan, state),
            baseline_value=gate.plan_baseline(self._plan, state)[0],
            baseline_weekly_volume=gate.plan_baseline(self._plan, state)[1],
            gate_history=state.gate_history,
            outcome_weeks=state.outcome_weeks,
            next_initiative_problem=state.next_initiative_problem,
            preparation_holding=state.preparation_holding,
            pilot_started_at=state.pilot_started_at,
            target_history=state.target_history,
            extensions=state.extensions,
            weeks=state.weeks,
            target_pending=target_lock.unresolved(self._plan, state),
            target_in_values=target_lock.in_values(
                self._plan, state, gate.plan_baseline(self._plan, state)[0]
            ),
            target_problem=state.target_problem,
        )

    def _next_milestone(self, elapsed: float) -> tuple[str, str]:
        state = self._state
        if state.phase in FINAL_PHASES:
            return "", ""
        if state.phase == "evaluation":
            due = self._decision_due.isoformat() if self._decision_due else ""
            return ("officer's gate decision" if state.awaiting_decision else "gate evaluation"), due
        if state.paused:
            return "paused: the plan resumes when the officer resumes it", ""
        if state.awaiting_baseline:
            return "a baseline (or the officer's reason) before the pilot starts", ""
        if state.preparation_holding:
            return preparation.HOLDING_MILESTONE, ""
        next_checkin = (state.checkins_done + 1) * self._plan.checkin_seconds
        if next_checkin < state.phase_seconds:
            name, at = f"weekly check-in {state.checkins_done + 1}", next_checkin
        else:
            name, at = f"{phases.NEXT_PHASE[state.phase]} starts", state.phase_seconds
        when = self._now() + timedelta(seconds=max(at - elapsed, 0.0))
        return name, when.isoformat()
