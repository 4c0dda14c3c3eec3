"""A pilot needs a baseline, time skipped: without a feed's baseline or one entered by hand the plan
holds its pilot until the officer enters one or records why it may start without; the reason is kept
and shown. Recorded with FAIO_RECORD_HISTORIES=1 like the other plan scenarios."""

from datetime import timedelta

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from services.roadmap.plans.contracts import DAY_SECONDS, HandBaseline, KpiReading, PlanInput, PlanResult
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
    until_status,
)

__all__ = ["plan_clock"]

KPI = "missed_call_rate"
DAYS = {"baseline": 7, "preparation": 7, "pilot": 14, "rollout": 7, "sustain": 7}


def short_plan(**overrides: object) -> PlanInput:
    return plan_input(
        kpi=KPI,
        target_change_pct=-50.0,
        phase_seconds={phase: days * DAY_SECONDS for phase, days in DAYS.items()},
        **overrides,
    )


async def start(
    env: WorkflowEnvironment, plan: PlanInput, task_queue: str
) -> WorkflowHandle[ImplementationPlanWorkflow, PlanResult]:
    """A plan whose clock moves only when the test fast-forwards it, and no KPI snapshot at all."""
    with env.with_time_skipping_disabled():
        return await env.client.start_workflow(
            ImplementationPlanWorkflow.run, plan, id=plan.plan_id, task_queue=task_queue
        )


async def test_no_baseline_holds_the_pilot_until_the_officer_records_why(
    plan_clock: WorkflowEnvironment,
) -> None:
    env, fake = plan_clock, FakePlanActivities()
    plan = short_plan()
    async with plan_worker(env.client, fake) as task_queue:
        handle = await start(env, plan, task_queue)
        await env.fast_forward(handle, timedelta(days=14.5))
        waiting = await until_status(handle, lambda s: s.awaiting_baseline, "the pilot held for a baseline")
        assert waiting.phase == "preparation"
        assert waiting.next_milestone == "a baseline (or the officer's reason) before the pilot starts"
        [needed] = [notice for notice in fake.notices if notice.kind == "decision_needed"]
        assert needed.message.startswith("the pilot cannot start: no baseline for missed_call_rate")
        assert f"POST /v1/plans/{plan.plan_id}/baseline" in needed.message

        await env.fast_forward(handle, timedelta(days=8))  # a week on: escalated, still held
        await until_status(handle, lambda s: s.awaiting_baseline, "still held")
        assert "decision_overdue" in fake.notice_kinds(plan.plan_id)
        assert "pilot" not in fake.phases(plan.plan_id)

        empty = await refusal(
            handle.execute_update(ImplementationPlanWorkflow.provide_baseline, HandBaseline())
        )
        assert "baseline: a pilot needs a baseline" in empty and "no_baseline_reason" in empty
        unsourced = await refusal(
            handle.execute_update(ImplementationPlanWorkflow.provide_baseline, HandBaseline(value=0.3))
        )
        assert "baseline.source: say where the figure comes from" in unsourced

        reason = "the phone vendor has no export; the pilot's first two weeks serve as reference"
        await handle.execute_update(
            ImplementationPlanWorkflow.provide_baseline, HandBaseline(no_baseline_reason=reason)
        )
        piloting = await until_status(handle, lambda s: s.phase == "pilot", "the pilot")
        assert not piloting.awaiting_baseline
        assert (piloting.no_baseline_reason, piloting.baseline_source) == (reason, "")
        await replay_and_record(env.client, plan.plan_id, "pilot_held_for_baseline")


async def test_a_baseline_entered_on_the_running_plan_lets_the_pilot_start_and_feeds_the_gate(
    plan_clock: WorkflowEnvironment,
) -> None:
    env, fake = plan_clock, FakePlanActivities()
    plan = plan_input(
        kpi=KPI,
        target_change_pct=-50.0,
        phase_seconds={phase: days * DAY_SECONDS for phase, days in (DAYS | {"pilot": 56}).items()},
    )
    async with plan_worker(env.client, fake) as task_queue:
        handle = await start(env, plan, task_queue)
        await env.fast_forward(handle, timedelta(days=3))
        as_percent = await refusal(
            handle.execute_update(
                ImplementationPlanWorkflow.provide_baseline,
                HandBaseline(source="manual_count", value=29, weekly_volume=150),
            )
        )
        assert "baseline.value: missed_call_rate is a share" in as_percent
        entered = await handle.execute_update(
            ImplementationPlanWorkflow.provide_baseline,
            HandBaseline(source="manual_count", value=0.29, weekly_volume=150),
        )
        assert entered.baseline_source == "manual_count"
        await env.fast_forward(handle, timedelta(days=11.5))
        piloting = await until_status(handle, lambda s: s.phase == "pilot", "the pilot, not held")
        for week in pilot_weeks(piloting, 56):
            await handle.signal(ImplementationPlanWorkflow.kpi_snapshot, calls(0.12, week))
        await env.fast_forward(handle, timedelta(days=56))
        gate = await until_status(handle, lambda s: s.awaiting_decision, "the gate")
        late = await refusal(
            handle.execute_update(
                ImplementationPlanWorkflow.provide_baseline,
                HandBaseline(source="audit", value=0.5, weekly_volume=10),
            )
        )
    assert "awaiting_baseline" not in [notice.kind for notice in fake.notices]
    assert not [notice for notice in fake.notices if "cannot start" in notice.message]
    evidence = gate.gate_evidence
    assert evidence["n_baseline"] == 150  # one baseline week (the 7-day phase) of the hand-entered 150 calls
    assert "baseline entered by hand (manual_count)" in evidence["design"]
    assert evidence["outcome"] == "pass", evidence["summary"]
    assert "baseline: the plan is in evaluation" in late


async def test_a_reason_given_at_approval_or_a_feed_baseline_never_holds_the_pilot(
    plan_clock: WorkflowEnvironment,
) -> None:
    env, fake = plan_clock, FakePlanActivities()
    with_reason = short_plan(no_baseline_reason="a new clinic: nothing to compare with yet")
    fed = short_plan()
    async with plan_worker(env.client, fake) as task_queue:
        first = await start(env, with_reason, task_queue)
        second = await start(env, fed, task_queue)
        await second.signal(
            ImplementationPlanWorkflow.kpi_snapshot,
            KpiReading(kpi=KPI, week="2026-W48", value=0.3, baseline=0.3),
        )
        await env.fast_forward(first, timedelta(days=14.5))
        await env.fast_forward(second, timedelta(days=14.5))
        reasoned = await until_status(first, lambda s: s.phase == "pilot", "the first plan's pilot")
        fed_status = await until_status(second, lambda s: s.phase == "pilot", "the second plan's pilot")
    assert reasoned.no_baseline_reason == "a new clinic: nothing to compare with yet"
    assert fed_status.baseline_source == "partner_feed"
    assert not [notice for notice in fake.notices if "cannot start" in notice.message]
