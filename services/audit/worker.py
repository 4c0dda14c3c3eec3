"""The audit Temporal worker, a process of its own: `python -m services.audit.worker`.

It runs the audit-window timers and the activity that computes findings, writing to the
audit database (the API process's outbox relay publishes what it stages). Stops gracefully
on SIGINT/SIGTERM: a running activity gets time to finish, and timers simply continue on
the next worker that starts.
"""

import asyncio
import logging
import signal
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from services.audit.activities import AuditActivities
from services.audit.settings import AuditSettings
from services.audit.workflows import AuditWindowWorkflow
from shared import db
from shared.telemetry import install_global_tracer_provider
from shared.temporal import connect_temporal

WORKFLOWS = [AuditWindowWorkflow]


# A running findings activity takes seconds; on SIGTERM it gets this long before it is cancelled.
GRACEFUL_SHUTDOWN = timedelta(seconds=30)


def create_worker(client: Client, task_queue: str, activities: AuditActivities) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[activities.complete_audit],
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    service_settings = AuditSettings()
    settings = service_settings.model_copy(update={"service_name": f"{service_settings.service_name}-worker"})
    tracer_provider = install_global_tracer_provider(settings)
    # The worker writes to the audit service's own database (and outbox), not one of its own.
    engine = db.create_engine(service_settings.resolved_database_url)
    activities = AuditActivities(db.create_session_factory(engine))
    client = await connect_temporal(settings, tracer_provider)
    worker = create_worker(client, settings.temporal_task_queue, activities)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    async with worker:
        logging.info("audit worker polling task queue %s", settings.temporal_task_queue)
        await stop.wait()
        logging.info("audit worker shutting down")
    await engine.dispose()
    tracer_provider.force_flush()


if __name__ == "__main__":
    asyncio.run(main())
