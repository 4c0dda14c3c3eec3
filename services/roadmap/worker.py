"""The roadmap Temporal worker, a process of its own: `python -m services.roadmap.worker`.

Stops gracefully on SIGINT/SIGTERM: running activities get time to finish, and workflows
simply continue on the next worker that starts.
"""

import asyncio
import logging
import signal

from temporalio.client import Client
from temporalio.worker import Worker

from services.roadmap.settings import RoadmapSettings
from services.roadmap.workflows import ClinicRoadmapWorkflow
from shared.telemetry import install_global_tracer_provider
from shared.temporal import connect_temporal

WORKFLOWS = [ClinicRoadmapWorkflow]


def create_worker(client: Client, task_queue: str) -> Worker:
    return Worker(client, task_queue=task_queue, workflows=WORKFLOWS, activities=[])


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = RoadmapSettings(service_name="roadmap-worker")
    tracer_provider = install_global_tracer_provider(settings)
    client = await connect_temporal(settings, tracer_provider)
    worker = create_worker(client, settings.temporal_task_queue)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    async with worker:
        logging.info("roadmap worker polling task queue %s", settings.temporal_task_queue)
        await stop.wait()
        logging.info("roadmap worker shutting down")
    tracer_provider.force_flush()


if __name__ == "__main__":
    asyncio.run(main())
