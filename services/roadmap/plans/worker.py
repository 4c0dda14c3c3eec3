"""The roadmap Temporal worker, a process of its own: `python -m services.roadmap.plans.worker`.

Stops gracefully on SIGINT/SIGTERM: running activities get time to finish, and workflows
simply continue on the next worker that starts. Traced: the client carries Temporal's
OpenTelemetry interceptor, so a plan's spans join the trace of the request that started it.
"""

import asyncio
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from services.roadmap.plans.activities import PlanActivities
from services.roadmap.plans.buy_in.activities import BuyInActivities
from services.roadmap.plans.gate import judge_gate
from services.roadmap.plans.workflows import ImplementationPlanWorkflow
from services.roadmap.settings import RoadmapSettings
from shared import db
from shared.temporal import run_worker

WORKFLOWS = [ImplementationPlanWorkflow]
MIGRATIONS = Path(__file__).parents[1] / "migrations"
GRACEFUL_SHUTDOWN = timedelta(seconds=20)


def create_worker(client: Client, task_queue: str, sessions: db.SessionFactory | None = None) -> Worker:
    """A worker for roadmap's workflows; with a session factory it also runs the plan activities."""
    activities = (
        [*PlanActivities(sessions).all(), *BuyInActivities(sessions).all(), judge_gate]
        if sessions is not None
        else []
    )
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activities,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )


async def main() -> None:
    settings = RoadmapSettings()
    await run_worker(
        settings,
        migrations_dir=MIGRATIONS,
        create_worker=lambda client, sessions: create_worker(client, settings.temporal_task_queue, sessions),
    )


if __name__ == "__main__":
    asyncio.run(main())
