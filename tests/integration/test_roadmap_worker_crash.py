"""A plan in the middle of its pilot survives its worker process being killed (-9) and restarted.

Real dev server, real worker process (`python -m services.roadmap.plans.worker`), real activities
writing to the roadmap database; phase lengths of seconds, set through the approval.
"""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from deploy.local.kafka import free_port
from services.roadmap.models import (
    RoadmapPlan,
    RoadmapPlanNotice,
    RoadmapPlanTransition,
)
from services.roadmap.plans.contracts import GateDecision, KpiReading
from services.roadmap.plans.worker import MIGRATIONS
from services.roadmap.plans.workflows import ImplementationPlanWorkflow
from shared import db
from shared.outbox import OutboxMessage
from tests.buy_in_support import staff_told_and_trained
from tests.plan_inputs import seconds_long_plan
from tests.polling import eventually

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def worker_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.roadmap.plans.worker"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=output,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


async def test_plan_survives_a_killed_worker(temporal: WorkflowEnvironment, tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'roadmap.db'}"
    await db.migrate(database_url, MIGRATIONS)
    engine = db.create_engine(database_url)
    sessions = db.create_session_factory(engine)
    task_queue = f"roadmap-crash-{uuid.uuid4()}"
    metrics_address = f"127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "FAIO_WORKER_METRICS_ADDRESS": metrics_address,  # never the fixed default port
        "FAIO_ENVIRONMENT": "test",
        "FAIO_TEMPORAL_ADDRESS": temporal.client.service_client.config.target_host,
        "FAIO_TEMPORAL_TASK_QUEUE": task_queue,
        "FAIO_DATABASE_URL": database_url,
        "FAIO_TRACES_DIR": str(tmp_path / "traces"),
        "FAIO_OTEL_EXPORTER_OTLP_ENDPOINT": "",
    }
    clinic_id = uuid.uuid4()
    plan = seconds_long_plan(pilot_seconds=6, checkin_seconds=2, clinic_id=clinic_id)

    async def plan_phase() -> str | None:
        async with sessions() as session:
            row = await session.get(RoadmapPlan, (clinic_id, plan.plan_id))
            return row.phase if row else None

    async def in_pilot() -> bool:
        """The pilot started and its start reminder went out: the plan now waits on its timers."""
        async with sessions() as session:
            statement = select(RoadmapPlanNotice).where(
                RoadmapPlanNotice.plan_id == plan.plan_id, RoadmapPlanNotice.kind == "pilot_start"
            )
            return await plan_phase() == "pilot" and (await session.exec(statement)).first() is not None

    log = tmp_path / "worker.log"
    await staff_told_and_trained(sessions, plan_id=plan.plan_id, clinic_id=plan.clinic_id)
    with worker_process(env, log) as first:
        handle = await temporal.client.start_workflow(
            ImplementationPlanWorkflow.run,
            plan,
            id=plan.plan_id,
            task_queue=task_queue,
            start_signal="kpi_snapshot",
            start_signal_args=[KpiReading(kpi=plan.kpi, week="2026-W48", value=13.0, baseline=20.0)],
        )
        await eventually(in_pilot, what=f"the pilot to start (worker log: {log})")
        first.kill()  # SIGKILL: no graceful shutdown, activities and workflow tasks cut off
        first.wait(timeout=10)
    assert await plan_phase() == "pilot"
    killed_at = datetime.now(UTC)

    with worker_process(env, log):

        async def at_gate() -> bool:
            return (await handle.query(ImplementationPlanWorkflow.status)).awaiting_decision

        await eventually(at_gate, what=f"the gate to wait for the officer's sign-off (worker log: {log})")
        # The pilot's timers fired on the new worker, each measured against its due time (the
        # plan timer lateness SLO's metric; the kill made at least one of them late).
        async with httpx.AsyncClient() as client:
            metrics = (await client.get(f"http://{metrics_address}/metrics")).text
        lateness = [
            line for line in metrics.splitlines() if line.startswith("faio_plan_timer_lateness_count")
        ]
        assert lateness and float(lateness[0].split()[-1]) >= 1, metrics
        await handle.execute_update(
            ImplementationPlanWorkflow.decide, GateDecision(action="continue", decided_by="officer-crash")
        )
        result = await handle.result(rpc_timeout=None)

    assert result.outcome == "done"
    async with sessions() as session:
        transitions = (
            await session.exec(
                select(RoadmapPlanTransition)
                .where(RoadmapPlanTransition.plan_id == plan.plan_id)
                .order_by(col(RoadmapPlanTransition.seq))
            )
        ).all()
        events = (
            await session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.key == str(clinic_id),
                    OutboxMessage.topic == "roadmap.plan.phase-changed.v1",
                )
            )
        ).all()
        notices = (
            await session.exec(select(RoadmapPlanNotice).where(RoadmapPlanNotice.plan_id == plan.plan_id))
        ).all()
        notice_events = (
            await session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.key == str(clinic_id),
                    OutboxMessage.topic == "roadmap.plan.notice-raised.v1",
                )
            )
        ).all()
    phases = [row.phase for row in transitions]
    assert phases == ["baseline", "preparation", "pilot", "evaluation", "rollout", "sustain", "done"]
    assert [row.seq for row in transitions] == list(range(1, 8))
    assert len(events) == len(transitions)  # one event per phase change, none repeated by retries
    assert notices and len(notice_events) == len(notices)  # and one per notice
    after_restart = [row.phase for row in transitions if row.changed_at.replace(tzinfo=UTC) > killed_at]
    assert after_restart[0] == "evaluation"  # the pilot finished under the new worker, and the plan went on
    await engine.dispose()
