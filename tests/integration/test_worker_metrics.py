"""A Temporal worker process serves the SDK's Prometheus metrics on its metrics address."""

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from deploy.local.kafka import free_port
from tests.polling import eventually

SLOTS = "temporal_worker_task_slots_available"


async def test_the_roadmap_worker_process_serves_temporal_worker_metrics(
    temporal: WorkflowEnvironment, tmp_path: Path
) -> None:
    address = f"127.0.0.1:{free_port()}"
    env = os.environ | {
        "FAIO_TEMPORAL_ADDRESS": temporal.client.service_client.config.target_host,
        "FAIO_WORKER_METRICS_ADDRESS": address,
        "FAIO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/roadmap.db",
        "FAIO_TRACES_DIR": str(tmp_path),
        "FAIO_TEMPORAL_TASK_QUEUE": "worker-metrics",
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.roadmap.plans.worker", env=env, cwd=Path(__file__).parents[2]
    )
    try:

        async def scraped() -> str | None:
            try:
                async with httpx.AsyncClient() as client:
                    response = await client.get(f"http://{address}/metrics")
            except httpx.TransportError:
                return None
            # The SDK fills its gauges as the pollers start: wait for the one asserted below too.
            filled = 'task_queue="worker-metrics"' in response.text and SLOTS in response.text
            return response.text if filled else None

        text = await eventually(scraped, within=60, what=f"the worker's /metrics with {SLOTS}")
        assert any(
            line.startswith(SLOTS) and 'task_queue="worker-metrics"' in line for line in text.splitlines()
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        await asyncio.wait_for(worker.wait(), 30)
