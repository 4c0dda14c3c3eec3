"""The roadmap Temporal worker, a process of its own: `python -m services.roadmap.worker`.

Stops gracefully on SIGINT/SIGTERM: running activities get time to finish, and workflows
simply continue on the next worker that starts. Traced: the client carries Temporal's
OpenTelemetry interceptor, so a plan's spans join the trace of the request that started it.
"""

import asyncio
import logging
import signal
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from services.roadmap.activities import PlanActivities
from services.roadmap.settings import RoadmapSettings
from services.roadmap.workflows import ClinicRoadmapWorkflow, ImplementationPlanWorkflow
from shared import db
from shared.telemetry import install_global_tracer_provider
from shared.temporal import connect_temporal

WORKFLOWS = [ClinicRoadmapWorkflow, ImplementationPlanWorkflow]
MIGRATIONS = Path(__file__).parent / "migrations"
GRACEFUL_SHUTDOWN = timedelta(seconds=20)


def create_worker(client: Client, task_queue: str, sessions: db.SessionFactory | None = None) -> Worker:
    """A worker for roadmap's workflows; with a session factory it also runs the plan activities."""
    activities = PlanActivities(sessions).all() if sessions is not None else []
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activities,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = RoadmapSettings(service_name="roadmap-worker")
    tracer_provider = install_global_tracer_provider(settings)
    # The worker shares the roadmap service's database (the app's outbox relay publishes
    # what the activities stage), so it names the roadmap database, not its own.
    database_url = settings.database_url or RoadmapSettings().resolved_database_url
    await db.migrate(database_url, MIGRATIONS)
    engine = db.create_engine(database_url)
    client = await connect_temporal(settings, tracer_provider)
    worker = create_worker(client, settings.temporal_task_queue, db.create_session_factory(engine))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    async with worker:
        logging.info("roadmap worker polling task queue %s", settings.temporal_task_queue)
        await stop.wait()
        logging.info("roadmap worker shutting down")
    await engine.dispose()
    tracer_provider.force_flush()


if __name__ == "__main__":
    asyncio.run(main())
