"""Roadmap's Temporal workflows. Deterministic: side effects belong in activities."""

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.roadmap.plans import gate, phases, preparation, target_lock
    from services.roadmap.plans.activities import ACTIVITY_RETRY, PlanActivities
    from services.roadmap.plans.contracts import (
        DAY_SECONDS,
        PhaseChange,
        PlanInput,
        PlanNotice,
        PlanResult,
        TargetChange,
    )
    from services.roadmap.plans.messages import PlanMessages
    from shared.events.roadmap import FINAL_PHASES, NoticeKind, PlanPhase
    from shared.temporal import PLAN_PHASE


ACTIVITY_TIMEOUT = timedelta(seconds=30)
NoticeActivity = Callable[[PlanActivities, PlanNotice], Awaitable[bool]]


def record_timer_lateness(late: timedelta) -> None:
    """How long after it was due a plan's timer was handled: a worker backlog or outage shows here.

    The plan timer lateness SLO's metric (deploy/prometheus/slos.yaml), on the worker's /metrics
    in milliseconds. Temporal records it only when the timer fires, never on a replay.
    """
    workflow.metric_meter().create_histogram_timedelta(
        "faio_plan_timer_lateness", "Delay from a plan timer's due time to its handling.", "duration"
    ).record(max(late, timedelta(0)))


@workflow.defn
class ImplementationPlanWorkflow(PlanMessages):
    """The implementation plan of one approved initiative, over months.

    baseline -> preparation (communication, training, buy-in survey) -> pilot -> evaluation
    gate -> rollout -> sustain -> done, each phase a durable timer with weekly check-ins.
    The KPI service's snapshots and alerts arrive as signals (relayed by roadmap's Kafka
    handlers); the officer pauses and resumes by signal and decides at the gate or changes
    the plan through validated updates, so a wrong request is refused and changes nothing
    (those handlers and the status query are in messages.py; the phases are here).

    Gate: pass, fail or inconclusive from the pilot's evidence (gate.py); every outcome waits
    for the officer (a pass for the sign-off, who and when kept; inconclusive with the extension
    a power calculation asks for), escalated after a week. In sustain an adoption alert books
    a retraining, a second one in a row escalates. All state lives in PlanState and is carried
    across continue-as-new, so a plan's history stays small. Changes once released go through
    patches.py (docs/release.md).
    """

    @workflow.init
    def __init__(self, plan: PlanInput) -> None:
        super().__init__(plan)
        self._target_teller: asyncio.Task[None] | None = None

    @workflow.run
    async def run(self, plan: PlanInput) -> PlanResult:
        state = self._state
        # Alongside the phases: whenever the target changes (read against the baseline, changed by
        # the officer, locked at the pilot), kpi is told, so its chart and progress use it too.
        self._target_teller = asyncio.create_task(self._tell_kpi_the_target())
        if state.seq == 0:
            if plan.pilot_started_at:
                await self._join_running_pilot()
            else:
                await self._enter("baseline", "initiative approved")
        while state.phase not in FINAL_PHASES:
            if state.phase == "evaluation":
                await self._evaluate()
                continue
            await self._run_timed_phase()
            days = state.phase_seconds / DAY_SECONDS
            next_phase = phases.NEXT_PHASE[state.phase]
            reason = f"{state.phase} finished after {days:g} days"
            if state.phase == "preparation":
                said = await preparation.hold_until_prepared(
                    self._plan,
                    state,
                    notify=lambda kind, text: self._notice(PlanActivities.send_plan_reminder, kind, text),
                    continue_if_long=self._continue_as_new_if_long,
                )
                reason = f"{reason}; {said}"
            if next_phase == "pilot":
                await self._wait_for_baseline()
            await self._enter(next_phase, reason)
        if state.phase == "done":
            suggestion = await workflow.execute_activity_method(
                PlanActivities.suggest_next_initiative,
                plan.clinic_id,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
            state.next_initiative_id = suggestion.initiative_id
            state.next_initiative_problem = suggestion.problem
            if suggestion.initiative_id:
                await self._notice(
                    PlanActivities.notify_officer,
                    "next_initiative",
                    f"plan done; next initiative suggested: {suggestion.problem}"
                    f" ({suggestion.initiative_id})",
                )
        return PlanResult(
            plan_id=plan.plan_id,
            outcome=state.phase,
            next_initiative_id=state.next_initiative_id,
            next_initiative_problem=state.next_initiative_problem,
        )

    # --- phases -------------------------------------------------------------------------

    async def _join_running_pilot(self) -> None:
        """A pilot that began before faio followed the plan: record its real dates and take it up mid-way.

        The baseline is the feed's whole weeks before the pilot; once the pilot's length has passed,
        the gate is judged at once on the weeks the feed holds.
        """
        plan, state = self._plan, self._state
        began = datetime.fromisoformat(plan.pilot_started_at)
        baseline_at = datetime.fromisoformat(plan.baseline_started_at) if plan.baseline_started_at else began
        await self._enter(
            "baseline",
            "initiative approved; the baseline is the feed's weeks before the pilot",
            at=baseline_at,
        )
        on = plan.pilot_started_at[:10]
        await self._enter("pilot", f"the pilot began on {on}, before faio followed the plan", at=began)
        state.elapsed_seconds = min(max((self._now() - began).total_seconds(), 0.0), state.phase_seconds)
        state.checkins_done = int(state.elapsed_seconds // plan.checkin_seconds)

    async def _enter(
        self,
        phase: PlanPhase,
        reason: str,
        *,
        length_seconds: float | None = None,
        at: datetime | None = None,
        decision: str = "",
        note: str = "",
    ) -> None:
        state = self._state
        previous = state.phase if state.seq > 0 else None
        state.seq += 1
        state.phase = phase
        state.elapsed_seconds = 0.0
        state.checkins_done = 0
        state.phase_seconds = (
            length_seconds if length_seconds is not None else self._plan.phase_seconds.get(phase, 0.0)
        )
        await workflow.execute_activity_method(
            PlanActivities.record_phase_change,
            PhaseChange(
                plan_id=self._plan.plan_id,
                clinic_id=self._plan.clinic_id,
                initiative_id=self._plan.initiative_id,
                seq=state.seq,
                phase=phase,
                previous_phase=previous,
                reason=reason,
                changed_at=(at or self._now()).isoformat(),
                decision=decision,
                note=note,
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        workflow.upsert_search_attributes([PLAN_PHASE.value_set(phase)])
        if phase == "pilot" and not state.pilot_started_at:
            # The target is locked from here: the gate judges the pilot against what was set before it.
            state.pilot_started_at = (at or self._now()).isoformat()
            locked: dict[str, Any] = {
                "target_change_pct": state.target_change_pct,
                "at": state.pilot_started_at,
                "phase": "pilot",
            }
            if target_lock.unresolved(self._plan, state):
                locked["pending"] = (
                    f"given as {target_lock.as_given(self._plan)}: made relative from the baseline"
                )
            state.target_history.append(locked)
        for kind, message in phases.PHASE_START_REMINDERS.get(phase, []):
            await self._notice(PlanActivities.send_plan_reminder, kind, message)
        if phase in phases.SURVEY_ROUND_REMINDERS:
            stage, why = phases.SURVEY_ROUND_REMINDERS[phase]
            await self._notice(
                PlanActivities.send_plan_reminder,
                "survey",
                f"buy-in survey, {stage} round: ask the staff again {why} "
                f"(open the {stage} round's survey links from the plan's buy-in)",
            )

    async def _run_timed_phase(self) -> None:
        """Wait out the phase (pauses do not count), holding weekly check-ins and handling alerts."""
        state = self._state
        checkin = self._plan.checkin_seconds
        while state.elapsed_seconds < state.phase_seconds:
            if state.paused:
                await workflow.wait_condition(lambda: not state.paused or bool(state.alerts_pending))
                await self._handle_alerts()
                continue
            next_checkin = (state.checkins_done + 1) * checkin
            step = min(next_checkin, state.phase_seconds) - state.elapsed_seconds
            # step is 0 only when a phase extended at its very end still owes a check-in.
            waited = 0.0
            if step > 0:
                self._wait_started = workflow.now()
                try:
                    await workflow.wait_condition(
                        lambda: state.paused or bool(state.alerts_pending), timeout=timedelta(seconds=step)
                    )
                    waited = min((workflow.now() - self._wait_started).total_seconds(), step)
                except TimeoutError:
                    waited = step  # exact, so check-ins fall on whole weeks of active time
                    record_timer_lateness(workflow.now() - self._wait_started - timedelta(seconds=step))
                self._wait_started = None
            state.elapsed_seconds += waited
            await self._handle_alerts()
            if state.elapsed_seconds >= next_checkin and next_checkin < state.phase_seconds:
                state.checkins_done += 1
                await self._check_in()
            await self._continue_as_new_if_long()

    async def _check_in(self) -> None:
        state = self._state
        if state.phase == "sustain":
            if state.alerts_this_week == 0:
                state.alerts_in_a_row = 0  # a quiet week breaks the run of alerts
            state.alerts_this_week = 0
        if state.latest_kpi_progress is None:
            kpi = f"no {self._plan.kpi} snapshot yet"
        else:
            progress = state.latest_kpi_progress
            kpi = f"{self._plan.kpi} {progress:.0%} of the way to {state.target_change_pct:+g} %"
        await self._notice(
            PlanActivities.send_plan_reminder,
            "checkin",
            f"weekly check-in, {state.phase} week {state.checkins_done}: {kpi}",
        )

    async def _evaluate(self) -> None:
        """Judge the pilot's evidence; every outcome waits for the officer (a pass for the sign-off)."""
        state = self._state
        evidence = await self._judge()
        if evidence.get("awaiting_week"):
            # The pilot's last week ended, but its snapshot has not arrived: give the feed a day.
            awaited = evidence["awaiting_week"]
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: any(week.week == awaited for week in state.weeks), timeout=gate.FEED_WAIT
                )
            evidence = await self._judge()
        # A target in points the baseline could not make relative is not judged (its reason instead).
        evidence = target_lock.gate_refusal(self._plan, state) or evidence
        state.gate_evidence = evidence
        state.gate_history.append(evidence)
        decision_days = int(self._plan.decision_timeout_seconds // DAY_SECONDS)
        shown = f"gate {evidence['outcome']}: {evidence['summary']}"
        message = gate.gate_message(
            evidence, timeout_days=decision_days, may_extend=state.extensions < gate.MAX_EXTENSIONS
        )
        await self._officer_decides(message, shown)

    async def _judge(self) -> dict[str, Any]:
        return await workflow.execute_local_activity(
            gate.judge_gate,
            gate.gate_question(self._plan, self._state, gate_at=self._now()),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )

    async def _wait_for_baseline(self) -> None:
        """Hold the pilot until it has a baseline (feed or hand) or the officer's reason; escalate late."""
        state = self._state
        if gate.pilot_may_start(self._plan, state):
            return
        state.awaiting_baseline = True
        await self._notice(
            PlanActivities.notify_officer, "decision_needed", gate.pilot_waits_message(self._plan)
        )
        timeout = timedelta(seconds=self._plan.decision_timeout_seconds)
        try:
            await workflow.wait_condition(lambda: gate.pilot_may_start(self._plan, state), timeout=timeout)
        except TimeoutError:
            await self._notice(
                PlanActivities.escalate_to_officer,
                "decision_overdue",
                f"still no baseline after {timeout.days} days: {gate.pilot_waits_message(self._plan)}",
            )
            await workflow.wait_condition(lambda: gate.pilot_may_start(self._plan, state))
        state.awaiting_baseline = False

    async def _officer_decides(self, message: str, shown: str) -> None:
        """Wait for the officer's gate decision (escalated after the timeout), then act on it."""
        state = self._state
        state.awaiting_decision = True
        timeout = timedelta(seconds=self._plan.decision_timeout_seconds)
        self._decision_due = self._now() + timeout
        await self._notice(PlanActivities.notify_officer, "decision_needed", message)
        try:
            await workflow.wait_condition(lambda: bool(state.decision), timeout=timeout)
        except TimeoutError:
            state.decision_escalated = True
            await self._notice(
                PlanActivities.escalate_to_officer,
                "decision_overdue",
                f"no gate decision after {timeout.days} days: the plan waits ({shown})",
            )
            await workflow.wait_condition(lambda: bool(state.decision))
        action, note = state.decision, state.decision_note
        state.decision, state.decision_note = "", ""
        state.awaiting_decision = False
        self._decision_due = None
        said = f" ({state.decision_by})" if state.decision_by else ""
        if action == "continue":
            state.signed_off_by, state.signed_off_at = state.decision_by, self._now().isoformat()
            await self._enter(
                "rollout", f"officer decided to continue at {shown}{said}", decision=action, note=note
            )
        elif action == "extend":
            state.pilot_extended = True
            state.extensions += 1
            await self._enter(
                "pilot",
                f"officer extended the pilot at {shown}{said}",
                length_seconds=state.decision_extend_days * DAY_SECONDS,
                decision=action,
                note=note,
            )
        else:
            await self._enter(
                "stopped", f"officer stopped the plan at {shown}{said}", decision=action, note=note
            )

    async def _handle_alerts(self) -> None:
        state = self._state
        while state.alerts_pending:
            alert = state.alerts_pending.pop(0)
            # One decline a week counts toward "in a row": kpi raises an open episode again each week,
            # and two signals of the same week (the share and the stopped clinicians) are one week.
            repeat = (
                state.phase == "sustain" and alert.kind == "adoption_decline" and state.alerts_this_week > 0
            )
            if state.phase == "sustain" and alert.kind == "adoption_decline" and not repeat:
                state.alerts_this_week += 1
                state.alerts_in_a_row += 1
                if state.alerts_in_a_row >= 2:
                    state.escalations += 1
                    await self._notice(
                        PlanActivities.escalate_to_officer,
                        "adoption_escalation",
                        f"adoption declined {state.alerts_in_a_row} times in a row despite retraining "
                        f"({alert.kpi}, {alert.week}): {alert.message}",
                    )
                else:
                    state.retrainings += 1
                    await self._notice(
                        PlanActivities.schedule_retraining,
                        "retraining",
                        f"adoption declining ({alert.kpi}, {alert.week}): retraining booked. {alert.message}",
                    )
            else:
                await self._notice(
                    PlanActivities.notify_officer,
                    "kpi_alert",
                    f"{alert.kind} during {state.phase} ({alert.kpi}, {alert.week}): {alert.message}",
                )

    async def _notice(
        self,
        activity_method: Callable[[PlanActivities, PlanNotice], Awaitable[bool]],
        kind: NoticeKind,
        message: str,
    ) -> None:
        state = self._state
        state.notices += 1
        due = self._decision_due if state.awaiting_decision else None
        notice = PlanNotice(
            plan_id=self._plan.plan_id,
            clinic_id=self._plan.clinic_id,
            key=f"{self._plan.plan_id}/{state.notices}/{kind}",  # deterministic: retries record it once
            kind=kind,
            message=message,
            initiative_id=self._plan.initiative_id,
            phase=state.phase,
            due_at=due.isoformat() if due else "",
            raised_at=self._now().isoformat(),
        )
        # A local activity: one short idempotent insert, run by this worker and recorded as a
        # marker, instead of a round trip through the task queue for every weekly reminder.
        await workflow.execute_local_activity_method(
            activity_method,
            notice,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )

    async def _tell_kpi_the_target(self) -> None:
        plan, state = self._plan, self._state
        while True:
            await workflow.wait_condition(
                lambda: target_lock.as_told(plan, state) != target_lock.kpi_knows(plan, state)
            )
            told = target_lock.as_told(plan, state)
            pending = target_lock.is_pending(plan)
            await workflow.execute_local_activity_method(
                PlanActivities.tell_target,
                TargetChange(
                    plan_id=plan.plan_id,
                    clinic_id=plan.clinic_id,
                    initiative_id=plan.initiative_id,
                    target_change_pct=told[0],
                    problem=told[1],
                    given_as=target_lock.as_given(plan) if pending else "",
                    baseline_value=state.target_resolved_from if pending else None,
                    locked=told[2],
                    set_at=self._now().isoformat(),
                ),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
            state.kpi_target = told

    async def _continue_as_new_if_long(self) -> None:
        info = workflow.info()
        if (
            info.get_current_history_length() < self._plan.history_limit
            and not info.is_continue_as_new_suggested()
        ):
            return
        # Updates still running would be lost with this run; let them finish first.
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._state.runs += 1
        workflow.continue_as_new(dataclasses.replace(self._plan, state=self._state))
