"""The three-outcome gate in ImplementationPlanWorkflow, time skipped: each outcome waits for the officer.

A missed-call plan with a baseline entered by hand (29 % of 150 calls a week); the pilot's weeks
reach the plan as KPI snapshots with their call counts, and the gate judges the complete weeks
between the pilot's start and the gate, by date, whatever order they arrived in.
"""

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from services.roadmap.plans.contracts import (
    DAY_SECONDS,
    GateDecision,
    PlanChange,
    PlanInput,
    PlanStatus,
)
from services.roadmap.plans.workflows import ImplementationPlanWorkflow
from tests.integration.plan_workflow_support import (
    FakePlanActivities,
    calls,
    pilot_weeks,
    plan_clock,
    plan_input,
    plan_worker,
    refusal,
    replay_and_record,
    start_paused_clock,
    until_status,
)

__all__ = ["plan_clock"]  # the time-skipping server fixture, shared with the plan tests

KPI = "missed_call_rate"


def missed_call_plan(*, baseline_days: float, pilot_days: float, target: float) -> PlanInput:
    days = {"baseline": baseline_days, "preparation": 7, "pilot": pilot_days, "rollout": 7, "sustain": 7}
    return plan_input(
        kpi=KPI,
        target_change_pct=target,
        phase_seconds={phase: value * DAY_SECONDS for phase, value in days.items()},
        baseline_value=0.29,
        baseline_weekly_volume=150.0,
    )


async def at_the_gate(
    env: WorkflowEnvironment,
    fake: FakePlanActivities,
    plan: PlanInput,
    task_queue: str,
    pilot_rate: float,
) -> PlanStatus:
    """Run the plan to its gate: the pilot's weeks arrive as snapshots, newest first, while it runs."""
    baseline_days = plan.phase_seconds["baseline"] / DAY_SECONDS
    pilot_days = plan.phase_seconds["pilot"] / DAY_SECONDS
    handle = await start_paused_clock(env, plan, task_queue, calls(0.29, "2026-W01"))
    await env.fast_forward(handle, timedelta(days=baseline_days + 7 + 0.5))
    started = await until_status(handle, lambda s: s.phase == "pilot", "the pilot")
    for week in reversed(pilot_weeks(started, pilot_days)):
        await handle.signal(ImplementationPlanWorkflow.kpi_snapshot, calls(pilot_rate, week))
    await handle.signal(ImplementationPlanWorkflow.kpi_snapshot, calls(0.05, "2026-W02"))  # before the pilot
    await env.fast_forward(handle, timedelta(days=pilot_days))
    return await until_status(handle, lambda s: s.awaiting_decision, "the gate waiting for the officer")


async def test_pass_waits_for_the_officers_sign_off_and_records_who_and_when(
    plan_clock: WorkflowEnvironment,
) -> None:
    env, fake = plan_clock, FakePlanActivities()
    # Eight weeks: three of ramp-up and four or five judged, as the recommended length asks.
    plan = missed_call_plan(baseline_days=14, pilot_days=56, target=-50)
    async with plan_worker(env.client, fake) as task_queue:
        status = await at_the_gate(env, fake, plan, task_queue, 0.12)
        evidence = status.gate_evidence
        assert evidence["outcome"] == "pass", evidence["summary"]
        weeks = pilot_weeks(status, 56)  # 7 or 8 complete weeks, by the weekday the pilot began
        # By date (the week before the pilot is not one), its first weeks ramp-up, not judged.
        judged = list(evidence["pilot_weeks_used"])
        assert [*evidence["weeks_excluded_as_ramp_up"], *judged] == weeks
        assert (evidence["n_baseline"], evidence["n_pilot"]) == (300, 150 * len(judged))
        assert evidence["ci_low_pct"] < evidence["estimate_pct"] < evidence["ci_high_pct"] < 0
        assert evidence["design"].startswith("before/after only")
        await env.fast_forward(
            env.client.get_workflow_handle(plan.plan_id), timedelta(days=3)
        )  # no sign-off yet: the plan still waits, it does not roll out alone
        handle = env.client.get_workflow_handle_for(ImplementationPlanWorkflow.run, plan.plan_id)
        waiting = await until_status(handle, lambda s: s.awaiting_decision, "still waiting")
        assert waiting.phase == "evaluation"
        await handle.execute_update(
            ImplementationPlanWorkflow.decide, GateDecision(action="continue", decided_by="officer-7")
        )
        signed = await until_status(handle, lambda s: s.phase == "rollout", "the rollout")
        await env.fast_forward(handle, timedelta(days=30))
        result = await handle.result()
        await replay_and_record(env.client, plan.plan_id, "gate_pass_signed_off")
    assert signed.signed_off_by == "officer-7" and signed.signed_off_at
    assert result.outcome == "done"
    [needed] = [notice for notice in fake.notices if notice.kind == "decision_needed"]
    assert needed.message.startswith("gate passed:") and "sign off" in needed.message


async def test_inconclusive_offers_an_extension_by_the_computed_weeks(
    plan_clock: WorkflowEnvironment,
) -> None:
    env, fake = plan_clock, FakePlanActivities()
    # 6 baseline weeks at 29 %, three or four pilot weeks at 25 %: a change between no change and the target.
    plan = missed_call_plan(baseline_days=42, pilot_days=28, target=-20)
    async with plan_worker(env.client, fake) as task_queue:
        status = await at_the_gate(env, fake, plan, task_queue, 0.25)
        evidence = status.gate_evidence
        assert evidence["outcome"] == "inconclusive"
        assert evidence["extension_weeks"] >= 1
        assert evidence["extension_days"] == 7 * evidence["extension_weeks"]
        [needed] = [notice for notice in fake.notices if notice.kind == "decision_needed"]
        assert f"recommended: extend the pilot by {7 * evidence['extension_weeks']} days" in needed.message
        handle = env.client.get_workflow_handle_for(ImplementationPlanWorkflow.run, plan.plan_id)
        await handle.execute_update(
            ImplementationPlanWorkflow.decide,
            GateDecision(action="extend", extend_days=28, decided_by="officer-7"),
        )
        extended = await until_status(handle, lambda s: s.phase == "pilot", "the extended pilot")
        await replay_and_record(env.client, plan.plan_id, "gate_inconclusive_extended")
    assert extended.phase_length_days == 28
    assert extended.signed_off_by == ""  # an extension is not a sign-off
    assert extended.extensions == 1


async def test_a_second_extension_is_refused_and_the_target_is_locked_from_the_pilot(
    plan_clock: WorkflowEnvironment,
) -> None:
    env, fake = plan_clock, FakePlanActivities()
    plan = missed_call_plan(baseline_days=42, pilot_days=28, target=-20)
    async with plan_worker(env.client, fake) as task_queue:
        await at_the_gate(env, fake, plan, task_queue, 0.25)
        handle = env.client.get_workflow_handle_for(ImplementationPlanWorkflow.run, plan.plan_id)
        locked = await refusal(
            handle.execute_update(ImplementationPlanWorkflow.change_plan, PlanChange(target_change_pct=-10))
        )
        assert "locked when the pilot began" in locked
        await handle.execute_update(
            ImplementationPlanWorkflow.decide, GateDecision(action="extend", extend_days=14, decided_by="o-7")
        )
        await until_status(handle, lambda s: s.phase == "pilot", "the extended pilot")
        await env.fast_forward(handle, timedelta(days=15))
        again = await until_status(handle, lambda s: s.awaiting_decision, "the second gate")
        assert "one extension is used" in fake.notices[-1].message or again.extensions == 1
        second = await refusal(
            handle.execute_update(
                ImplementationPlanWorkflow.decide,
                GateDecision(action="extend", extend_days=14, decided_by="o-7"),
            )
        )
        assert "extended once already" in second
        assert [item["target_change_pct"] for item in again.target_history] == [-20]


async def test_fail_waits_for_the_officer_to_decide(plan_clock: WorkflowEnvironment) -> None:
    env, fake = plan_clock, FakePlanActivities()
    plan = missed_call_plan(baseline_days=14, pilot_days=49, target=-50)
    async with plan_worker(env.client, fake) as task_queue:
        status = await at_the_gate(env, fake, plan, task_queue, 0.28)
        assert status.gate_evidence["outcome"] == "fail"
        assert status.gate_evidence["target_position"] == "beyond_interval"
        handle = env.client.get_workflow_handle_for(ImplementationPlanWorkflow.run, plan.plan_id)
        await env.fast_forward(handle, timedelta(days=8))
        waiting = await until_status(handle, lambda s: s.awaiting_decision, "still waiting after a week")
        assert waiting.phase == "evaluation"
        assert "decision_overdue" in fake.notice_kinds(plan.plan_id)
        await handle.execute_update(
            ImplementationPlanWorkflow.decide,
            GateDecision(action="stop", note="no effect", decided_by="officer-7"),
        )
        result = await handle.result()
        await replay_and_record(env.client, plan.plan_id, "gate_fail_stopped")
    assert result.outcome == "stopped"
    [needed] = [notice for notice in fake.notices if notice.kind == "decision_needed"]
    assert needed.message.startswith("gate failed:")
    # The note travels beside the reason, so the published event can leave it out.
    stopped = fake.changes[-1]
    assert stopped.reason.endswith("(officer-7)")
    assert (stopped.decision, stopped.note) == ("stop", "no effect")
