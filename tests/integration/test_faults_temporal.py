"""Fault injection on the real Temporal server: it is restarted while plans are in their pilot;
each plan continues from its phase and no timer is lost. Prints sent / counted / lost / duplicated.

Roadmap's own code is used through its public inputs and its worker process only.
"""

import asyncio
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from temporalio.client import Client

from deploy.local.kafka import free_port
from services.roadmap.models import RoadmapPlan, RoadmapPlanTransition
from services.roadmap.plans.contracts import GateDecision, KpiReading
from services.roadmap.plans.worker import MIGRATIONS as ROADMAP_MIGRATIONS
from services.roadmap.plans.workflows import ImplementationPlanWorkflow
from shared import db
from tests.buy_in_support import staff_told_and_trained
from tests.fault_support import Tally
from tests.integration.kpi_support import ROOT
from tests.integration.test_roadmap_temporal_outage import DevTemporal
from tests.plan_inputs import seconds_long_plan
from tests.polling import eventually

pytestmark = pytest.mark.slow


# --- the Temporal server restarted while plans are in flight ------------------------------

PLANS = 5
ALL_PHASES = ["baseline", "preparation", "pilot", "evaluation", "rollout", "sustain", "done"]


async def test_temporal_restarted_while_plans_are_in_flight(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'roadmap.db'}"
    await db.migrate(database_url, ROADMAP_MIGRATIONS)
    engine = db.create_engine(database_url)
    sessions = db.create_session_factory(engine)
    task_queue = f"roadmap-faults-{uuid.uuid4()}"
    plans = [seconds_long_plan(pilot_seconds=12, checkin_seconds=3) for _ in range(PLANS)]
    log = tmp_path / "worker.log"
    async with DevTemporal(tmp_path) as temporal:
        env = {
            **os.environ,
            "FAIO_WORKER_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",  # never the fixed default port
            "FAIO_ENVIRONMENT": "test",
            "FAIO_TEMPORAL_ADDRESS": temporal.address,
            "FAIO_TEMPORAL_TASK_QUEUE": task_queue,
            "FAIO_DATABASE_URL": database_url,
            "FAIO_TRACES_DIR": str(tmp_path / "traces"),
            "FAIO_OTEL_EXPORTER_OTLP_ENDPOINT": "",
        }
        with log.open("ab") as output:
            worker = subprocess.Popen(  # noqa: ASYNC220 - starting it returns at once
                [sys.executable, "-m", "services.roadmap.plans.worker"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=output,
            )
        try:
            client = await Client.connect(temporal.address)
            for plan in plans:
                await staff_told_and_trained(sessions, plan_id=plan.plan_id, clinic_id=plan.clinic_id)
                await client.start_workflow(
                    ImplementationPlanWorkflow.run,
                    plan,
                    id=plan.plan_id,
                    task_queue=task_queue,
                    start_signal="kpi_snapshot",
                    start_signal_args=[KpiReading(kpi=plan.kpi, week="2026-W48", value=13.0, baseline=20.0)],
                )

            async def phases() -> dict[str, str | None]:
                async with sessions() as session:
                    rows = {
                        plan.plan_id: await session.get(
                            RoadmapPlan, (uuid.UUID(plan.clinic_id), plan.plan_id)
                        )
                        for plan in plans
                    }
                return {plan_id: row.phase if row else None for plan_id, row in rows.items()}

            async def all_in_pilot() -> bool:
                return set((await phases()).values()) == {"pilot"}

            await eventually(all_in_pilot, within=90, what=f"every plan in its pilot (worker log: {log})")
            await temporal.stop()
            phases_at_restart = await phases()
            await asyncio.sleep(5)  # plans' timers come due while the server is down
            await temporal.start()
            client = await Client.connect(temporal.address)
            handles = [
                client.get_workflow_handle_for(ImplementationPlanWorkflow.run, plan.plan_id) for plan in plans
            ]
            for handle in handles:  # each plan's pilot timer fired after the restart: it reaches its gate

                async def at_gate(handle: Any = handle) -> bool:
                    return bool((await handle.query(ImplementationPlanWorkflow.status)).awaiting_decision)

                await eventually(at_gate, within=120, what=f"every plan at its gate (worker log: {log})")
                await handle.execute_update(
                    ImplementationPlanWorkflow.decide,
                    GateDecision(action="continue", decided_by="officer-faults"),
                )
            results = [await asyncio.wait_for(handle.result(), 120) for handle in handles]
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()

    async with sessions() as session:
        transitions = (
            await session.exec(
                select(RoadmapPlanTransition)
                .where(col(RoadmapPlanTransition.plan_id).in_([plan.plan_id for plan in plans]))
                .order_by(col(RoadmapPlanTransition.seq))
            )
        ).all()
    await engine.dispose()
    expected = Counter((plan.plan_id, phase) for plan in plans for phase in ALL_PHASES)
    recorded = Counter((row.plan_id, row.phase) for row in transitions)
    tally = Tally.of(
        f"Temporal restarted with {PLANS} plans in their pilot: phase changes", expected, recorded
    )
    tally.report()
    assert set(phases_at_restart.values()) == {"pilot"}
    assert [result.outcome for result in results] == ["done"] * PLANS  # every pilot timer fired
    for plan in plans:  # each continued from its phase: the same sequence, numbered without gaps
        ours = [row for row in transitions if row.plan_id == plan.plan_id]
        assert [row.phase for row in ours] == ALL_PHASES
        assert [row.seq for row in ours] == list(range(1, len(ALL_PHASES) + 1))
    assert (tally.lost, tally.duplicated) == (0, 0)
