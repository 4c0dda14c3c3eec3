"""Benchmark: many implementation plans run through every phase under time skipping.

    python -m tests.bench.bench_plans [--plans 1000] [--concurrency 100]

Each plan is the method's default (baseline 2 w, preparation 2 w, pilot 6 w, rollout 8 w,
sustain 12 w, weekly check-ins: about 30 timers and 40 activities), target met at the gate and signed off.
Activities are in-memory no-ops so the figure is the workflow engine's: the server's time
skipping, workflow tasks and the worker. The baseline is one plan run alone in the same
process; the ratio says how much running plans side by side gains over one after another.
"""

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from services.roadmap.plans.buy_in.service import PreparationCheck
from services.roadmap.plans.contracts import (
    DAY_SECONDS,
    GateDecision,
    KpiReading,
    NextInitiative,
    PhaseChange,
    PlanInput,
    PlanNotice,
    PlanResult,
    TargetChange,
)
from services.roadmap.plans.gate import judge_gate
from services.roadmap.plans.phases import DEFAULT_PHASE_DAYS
from services.roadmap.plans.workflows import ImplementationPlanWorkflow
from shared.temporal import DEV_SERVER_SEARCH_ATTRIBUTES
from tests.polling import eventually

TEMPORAL_CLI = Path(sys.executable).parent / "temporal"
KPI = "documentation_minutes_per_note"


class CountingActivities:
    """No-op activities that only count, so the benchmark measures the plans, not a database."""

    def __init__(self) -> None:
        self.calls = 0

    @activity.defn(name="record_phase_change")
    async def record_phase_change(self, change: PhaseChange) -> bool:
        del change
        self.calls += 1
        return True

    async def _notice(self, notice: PlanNotice) -> bool:
        del notice
        self.calls += 1
        return True

    @activity.defn(name="send_plan_reminder")
    async def send_plan_reminder(self, notice: PlanNotice) -> bool:
        return await self._notice(notice)

    @activity.defn(name="notify_officer")
    async def notify_officer(self, notice: PlanNotice) -> bool:
        return await self._notice(notice)

    @activity.defn(name="schedule_retraining")
    async def schedule_retraining(self, notice: PlanNotice) -> bool:
        return await self._notice(notice)

    @activity.defn(name="escalate_to_officer")
    async def escalate_to_officer(self, notice: PlanNotice) -> bool:
        return await self._notice(notice)

    @activity.defn(name="tell_target")
    async def tell_target(self, change: TargetChange) -> None:
        del change
        self.calls += 1

    @activity.defn(name="suggest_next_initiative")
    async def suggest_next_initiative(self, clinic_id: str) -> NextInitiative:
        self.calls += 1
        return NextInitiative(initiative_id=f"next-{clinic_id}", problem="appointment scheduling")

    @activity.defn(name="check_preparation")
    async def check_preparation(self, clinic_id: str, plan_id: str) -> PreparationCheck:
        self.calls += 1
        return PreparationCheck(ready=True)  # staff told and trained


def plan() -> PlanInput:
    initiative_id = uuid.uuid4()
    return PlanInput(
        plan_id=f"bench-plan-{initiative_id}",
        clinic_id=str(uuid.uuid4()),
        initiative_id=str(initiative_id),
        kpi=KPI,
        target_change_pct=-30.0,
        phase_seconds={phase: days * DAY_SECONDS for phase, days in DEFAULT_PHASE_DAYS.items()},
    )


async def sign_off(handle: WorkflowHandle[ImplementationPlanWorkflow, PlanResult]) -> None:
    """The gate waits for the officer's sign-off (continue) before the rollout."""

    async def at_gate() -> bool:
        return (await handle.query(ImplementationPlanWorkflow.status)).awaiting_decision

    await eventually(at_gate, within=600, what="the gate to wait for the sign-off")
    await handle.execute_update(
        ImplementationPlanWorkflow.decide, GateDecision(action="continue", decided_by="bench")
    )


async def run_plans(env: WorkflowEnvironment, task_queue: str, count: int, concurrency: int) -> float:
    """Start `count` plans (at most `concurrency` in flight), wait until all are done; seconds taken."""
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            handle = await env.client.start_workflow(
                ImplementationPlanWorkflow.run,
                plan(),
                id=f"bench-{uuid.uuid4()}",
                task_queue=task_queue,
                start_signal="kpi_snapshot",
                start_signal_args=[KpiReading(kpi=KPI, week="2026-W48", value=13.5, baseline=20.0)],
            )
            await sign_off(handle)
            result = await handle.result()
            if result.outcome != "done":
                raise RuntimeError(f"plan ended {result.outcome}")
            finished.append(time.perf_counter())
            if count >= 100 and len(finished) % (count // 10) == 0:
                seconds = finished[-1] - started
                print(
                    f"  {len(finished)}/{count} plans done in {seconds:.0f} s"
                    f" ({len(finished) / seconds:.1f}/s)"
                )

    finished: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    return time.perf_counter() - started


async def main(plans: int, concurrency: int) -> None:
    env = await WorkflowEnvironment.start_time_skipping_v2(
        dev_server_existing_path=str(TEMPORAL_CLI),
        dev_server_log_level="error",
        dev_server_extra_args=[
            "--dynamic-config-value",
            "frontend.WorkflowTimeSkippingEnabled=true",
            # Fire skipped timers at once (the 1 s default costs a real second per weekly timer).
            "--dynamic-config-value",
            'history.timerProcessorMaxTimeShift="10ms"',
            *DEV_SERVER_SEARCH_ATTRIBUTES,
        ],
    )
    activities = CountingActivities()
    task_queue = f"bench-{uuid.uuid4()}"
    try:
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=[ImplementationPlanWorkflow],
            activities=[
                activities.record_phase_change,
                activities.send_plan_reminder,
                activities.notify_officer,
                activities.schedule_retraining,
                activities.escalate_to_officer,
                activities.suggest_next_initiative,
                activities.tell_target,
                activities.check_preparation,
                judge_gate,
            ],
            max_concurrent_workflow_tasks=200,
            max_concurrent_activities=400,
        ):
            single = await run_plans(env, task_queue, 1, 1)
            calls_per_plan = activities.calls
            print(f"baseline: 1 plan alone, 30 weeks of plan in {single:.2f} s -> {1 / single:.2f} plans/s")
            elapsed = await run_plans(env, task_queue, plans, concurrency)
            rate = plans / elapsed
            print(
                f"{plans} plans ({concurrency} at a time), every phase, in {elapsed:.1f} s"
                f" -> {rate:.1f} plans/s ({rate * single:.1f}x the baseline);"
                f" {calls_per_plan} activities per plan"
            )
    finally:
        await env.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=1000, help="how many plans to run (default 1000)")
    parser.add_argument("--concurrency", type=int, default=100, help="plans in flight at once (default 100)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.plans, arguments.concurrency))
    # Everything is shut down and printed; skip interpreter finalization, where temporalio's
    # core threads can abort with "PyGILState_Release" after a long run.
    sys.stdout.flush()
    os._exit(0)
