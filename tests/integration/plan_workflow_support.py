"""The harness for the implementation plan workflow's scenarios under time skipping.

A time-skipping dev server (months pass in seconds), a worker on a fresh task queue with fake
activities that record what the plan asked for, plans with the method's default phase lengths,
and the replay (and, with FAIO_RECORD_HISTORIES=1, the recording) of each plan's histories.
Used by test_roadmap_plans.py and the gate, baseline and buy-in scenarios.
"""

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowHistory, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

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
    PlanStatus,
    TargetChange,
)
from services.roadmap.plans.gate import judge_gate
from services.roadmap.plans.phases import DEFAULT_PHASE_DAYS
from services.roadmap.plans.workflows import ImplementationPlanWorkflow
from shared.calendar import whole_weeks_within
from shared.temporal import DEV_SERVER_SEARCH_ATTRIBUTES
from tests.conftest import TEMPORAL_CLI

HISTORIES_DIR = Path(__file__).parent / "histories"
KPI = "documentation_minutes_per_note"


class FakePlanActivities:
    """The plan's activities, recording what they were asked to do instead of touching a database."""

    def __init__(self) -> None:
        self.changes: list[PhaseChange] = []
        self.notices: list[PlanNotice] = []
        self.targets: list[TargetChange] = []

    def phases(self, plan_id: str) -> list[str]:
        return [change.phase for change in self.changes if change.plan_id == plan_id]

    def notice_kinds(self, plan_id: str) -> list[str]:
        return [notice.kind for notice in self.notices if notice.plan_id == plan_id]

    @activity.defn(name="record_phase_change")
    async def record_phase_change(self, change: PhaseChange) -> bool:
        self.changes.append(change)
        return True

    async def _notice(self, notice: PlanNotice) -> bool:
        self.notices.append(notice)
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
        self.targets.append(change)

    @activity.defn(name="suggest_next_initiative")
    async def suggest_next_initiative(self, clinic_id: str) -> NextInitiative:
        return NextInitiative(initiative_id=f"next-of-{clinic_id}", problem="appointment scheduling")

    @activity.defn(name="check_preparation")
    async def check_preparation(self, clinic_id: str, plan_id: str) -> PreparationCheck:
        """Staff were told and trained (the rule's own tests are in test_roadmap_buy_in_plan.py)."""
        return PreparationCheck(ready=True)


@asynccontextmanager
async def plan_worker(client: Client, fake: FakePlanActivities) -> AsyncIterator[str]:
    """A worker on a fresh task queue running the plan workflow with fake activities."""
    task_queue = f"plan-test-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[ImplementationPlanWorkflow],
        activities=[
            fake.record_phase_change,
            fake.send_plan_reminder,
            fake.notify_officer,
            fake.schedule_retraining,
            fake.escalate_to_officer,
            fake.suggest_next_initiative,
            fake.tell_target,
            fake.check_preparation,
            judge_gate,
        ],
    ):
        yield task_queue


def plan_input(**overrides: object) -> PlanInput:
    """A plan with the method's default phase lengths (baseline 2 w ... sustain 12 w)."""
    initiative_id = uuid.uuid4()
    values: dict[str, object] = {
        "plan_id": f"plan-{initiative_id}",
        "clinic_id": str(uuid.uuid4()),
        "initiative_id": str(initiative_id),
        "kpi": KPI,
        "target_change_pct": -30.0,
        "phase_seconds": {phase: days * DAY_SECONDS for phase, days in DEFAULT_PHASE_DAYS.items()},
    }
    values.update(overrides)
    return PlanInput(**values)  # type: ignore[arg-type]


async def run_histories(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """Every run of a plan (continue-as-new makes a chain), first to last."""
    latest = await client.get_workflow_handle(workflow_id).describe()
    run_id: str | None = await _first_run_id(client, workflow_id, latest.run_id)
    histories = []
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        histories.append(history)
        last = history.events[-1]
        if last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
        else:
            run_id = None
    return histories


async def _first_run_id(client: Client, workflow_id: str, latest_run_id: str | None) -> str:
    run_id = latest_run_id or ""
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        if not started.continued_execution_run_id:
            return run_id
        run_id = started.continued_execution_run_id


async def replay_and_record(client: Client, workflow_id: str, scenario: str) -> int:
    """Replay every run of the plan against the current code; save them when asked to.

    FAIO_RECORD_HISTORIES=1 writes them under tests/integration/histories/ so that later
    changes to the workflow are replayed against today's recorded runs.
    """
    histories = await run_histories(client, workflow_id)
    replayer = Replayer(workflows=[ImplementationPlanWorkflow])
    for history in histories:
        await replayer.replay_workflow(history)
    if os.environ.get("FAIO_RECORD_HISTORIES") == "1":
        HISTORIES_DIR.mkdir(exist_ok=True)
        for index, history in enumerate(histories, start=1):
            path = HISTORIES_DIR / f"plan_{scenario}_run{index}.json"
            path.write_text(json.dumps(json.loads(history.to_json()), separators=(",", ":")))
    return len(histories)


@pytest.fixture(scope="module")
async def plan_clock() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping dev server whose timer queue fires skipped timers at once.

    Like conftest's time_skipping_temporal, plus history.timerProcessorMaxTimeShift=10ms: with the
    server default (1 s) every skipped weekly timer costs a real second, 30 s per plan.
    """
    env = await WorkflowEnvironment.start_time_skipping_v2(
        dev_server_existing_path=str(TEMPORAL_CLI),
        dev_server_extra_args=[
            "--dynamic-config-value",
            "frontend.WorkflowTimeSkippingEnabled=true",
            "--dynamic-config-value",
            'history.timerProcessorMaxTimeShift="10ms"',
            *DEV_SERVER_SEARCH_ATTRIBUTES,
        ],
    )
    try:
        yield env
    finally:
        await env.shutdown()


ALL_PHASES = ["baseline", "preparation", "pilot", "evaluation", "rollout", "sustain", "done"]
# Check-ins fall on whole weeks inside a phase: 2+2+6+8+12 weeks -> 1+1+5+7+11.
DEFAULT_CHECKINS = 25
BASELINE_MINUTES = 20.0


def pilot_weeks(status: PlanStatus, days: float) -> list[str]:
    """The complete (UTC) weeks of a pilot of `days` that began when the status says: the gate's weeks."""
    began = datetime.fromisoformat(status.pilot_started_at)
    return whole_weeks_within(began.date(), (began + timedelta(days=days)).date() - timedelta(days=1))


def calls(rate: float, week: str, *, volume: int = 150) -> KpiReading:
    """A week of missed calls at about `rate` of `volume`, off by a few calls as real weeks are."""
    missed = round(rate * volume) + (-3, 2, -1, 3, 0, -2, 1)[int(week[-2:]) % 7]
    return KpiReading(
        kpi="missed_call_rate",
        week=week,
        value=missed / volume,
        baseline=0.29,
        sample_size=volume,
        events=missed,
        total=volume,
    )


def reading(minutes: float, week: str = "2026-W48") -> KpiReading:
    """Documentation minutes per note against a 20-minute baseline (target -30 %: 14 minutes)."""
    return KpiReading(kpi=KPI, week=week, value=minutes, baseline=BASELINE_MINUTES)


async def start_paused_clock(
    env: WorkflowEnvironment, plan: PlanInput, task_queue: str, first: KpiReading
) -> WorkflowHandle[ImplementationPlanWorkflow, PlanResult]:
    """Start a plan whose virtual clock only moves when the test fast-forwards it."""
    with env.with_time_skipping_disabled():
        return await env.client.start_workflow(
            ImplementationPlanWorkflow.run,
            plan,
            id=plan.plan_id,
            task_queue=task_queue,
            start_signal="kpi_snapshot",
            start_signal_args=[first],
        )


async def status_of(handle: WorkflowHandle[ImplementationPlanWorkflow, PlanResult]) -> PlanStatus:
    return await handle.query(ImplementationPlanWorkflow.status)


async def until_status(
    handle: WorkflowHandle[ImplementationPlanWorkflow, PlanResult], check: object, what: str
) -> PlanStatus:
    for _ in range(600):  # up to 30 s: the whole suite may share the machine
        status = await status_of(handle)
        if check(status):  # type: ignore[operator]
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"plan never reached: {what}; last status {status}")


async def refusal(update: Awaitable[object]) -> str:
    """The reason the workflow's validator gave for refusing an update."""
    try:
        await update
    except WorkflowUpdateFailedError as error:
        return str(error.cause)
    raise AssertionError("the update was accepted")


async def sign_off(client: Client, plan_id: str, *, by: str = "officer-test") -> PlanStatus:
    """Wait for the gate to ask for the officer, then sign off (continue): the gate never passes alone."""
    handle = client.get_workflow_handle_for(ImplementationPlanWorkflow.run, plan_id)  # the latest run
    status = await until_status(handle, lambda s: s.awaiting_decision, "the gate waiting for the officer")
    await handle.execute_update(
        ImplementationPlanWorkflow.decide, GateDecision(action="continue", decided_by=by)
    )
    return status


def started(fake: FakePlanActivities, plan_id: str, phase: str, nth: int = 0) -> datetime:
    changes = [change for change in fake.changes if change.plan_id == plan_id and change.phase == phase]
    return datetime.fromisoformat(changes[nth].changed_at)
