"""The three-outcome gate in ImplementationPlanWorkflow, time skipped: each outcome waits for the officer.

A missed-call plan with a baseline entered by hand (29 % of 150 calls a week); pilot weeks reach the
plan as KPI snapshots with their call counts, and the gate judges them with a two-proportion interval.
"""

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from services.roadmap.plans.contracts import DAY_SECONDS, GateDecision, KpiReading, PlanInput, PlanStatus
from services.roadmap.plans.workflows import ImplementationPlanWorkflow
from tests.integration.plan_workflow_support import (
    FakePlanActivities,
    plan_clock,
    plan_input,
    plan_worker,
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


def calls(rate: float, week: str) -> KpiReading:
    return KpiReading(kpi=KPI, week=week, value=rate, baseline=0.29, sample_size=150)


async def at_the_gate(
    env: WorkflowEnvironment,
    fake: FakePlanActivities,
    plan: PlanInput,
    task_queue: str,
    pilot_rates: list[float],
) -> PlanStatus:
    """Run the plan to its gate: the pilot's weeks arrive as snapshots while the pilot runs."""
    baseline_days = plan.phase_seconds["baseline"] / DAY_SECONDS
    handle = await start_paused_clock(env, plan, task_queue, calls(0.29, "2026-W48"))
    await env.fast_forward(handle, timedelta(days=baseline_days + 7 + 0.5))
    await until_status(handle, lambda s: s.phase == "pilot", "the pilot")
    for index, rate in enumerate(pilot_rates, start=1):
        await handle.signal(ImplementationPlanWorkflow.kpi_snapshot, calls(rate, f"2027-W{index:02d}"))
    await env.fast_forward(handle, timedelta(days=plan.phase_seconds["pilot"] / DAY_SECONDS))
    return await until_status(handle, lambda s: s.awaiting_decision, "the gate waiting for the officer")


async def test_pass_waits_for_the_officers_sign_off_and_records_who_and_when(
    plan_clock: WorkflowEnvironment,
) -> None:
    env, fake = plan_clock, FakePlanActivities()
    plan = missed_call_plan(baseline_days=14, pilot_days=42, target=-50)
    async with plan_worker(env.client, fake) as task_queue:
        status = await at_the_gate(env, fake, plan, task_queue, [0.12] * 6)
        evidence = status.gate_evidence
        assert evidence["outcome"] == "pass"
        assert (evidence["n_baseline"], evidence["n_pilot"]) == (300, 900)
        assert evidence["ci_low_pct"] < evidence["estimate_pct"] < evidence["ci_high_pct"]
        assert "two-proportion comparison" in evidence["method"]
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
    assert needed.message.startswith("gate passed: change -58.6 %") and "sign off" in needed.message


async def test_inconclusive_offers_an_extension_by_the_computed_weeks(
    plan_clock: WorkflowEnvironment,
) -> None:
    env, fake = plan_clock, FakePlanActivities()
    # 6 baseline weeks (900 calls at 29 %), 2 pilot weeks of 150 at 23.3 %: -19.5 %, interval -36 % to +1 %;
    # the power calculation needs 898 pilot calls: 598 more at 150 a week = 4 weeks.
    plan = missed_call_plan(baseline_days=42, pilot_days=14, target=-20)
    async with plan_worker(env.client, fake) as task_queue:
        status = await at_the_gate(env, fake, plan, task_queue, [0.2333, 0.2333])
        assert status.gate_evidence["outcome"] == "inconclusive"
        assert status.gate_evidence["extension_weeks"] == 4
        assert status.gate_evidence["extension_days"] == 28
        [needed] = [notice for notice in fake.notices if notice.kind == "decision_needed"]
        assert "recommended: extend the pilot by 28 days" in needed.message
        handle = env.client.get_workflow_handle_for(ImplementationPlanWorkflow.run, plan.plan_id)
        await handle.execute_update(
            ImplementationPlanWorkflow.decide,
            GateDecision(action="extend", extend_days=28, decided_by="officer-7"),
        )
        extended = await until_status(handle, lambda s: s.phase == "pilot", "the extended pilot")
        await replay_and_record(env.client, plan.plan_id, "gate_inconclusive_extended")
    assert extended.phase_length_days == 28
    assert extended.signed_off_by == ""  # an extension is not a sign-off


async def test_fail_waits_for_the_officer_to_decide(plan_clock: WorkflowEnvironment) -> None:
    env, fake = plan_clock, FakePlanActivities()
    plan = missed_call_plan(baseline_days=14, pilot_days=14, target=-50)
    async with plan_worker(env.client, fake) as task_queue:
        status = await at_the_gate(env, fake, plan, task_queue, [0.27, 0.27])
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
    assert "(officer-7): no effect" in fake.changes[-1].reason
