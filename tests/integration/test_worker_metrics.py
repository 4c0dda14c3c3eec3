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
        sys.executable, "-m", "services.roadmap.worker", env=env, cwd=Path(__file__).parents[2]
    )
    try:

        async def scraped() -> str | None:
            try:
                async with httpx.AsyncClient() as client:
                    response = await client.get(f"http://{address}/metrics")
            except httpx.TransportError:
                return None
            return response.text if 'task_queue="worker-metrics"' in response.text else None

        text = await eventually(scraped, within=60, what="the worker's /metrics")
        assert "temporal_worker_task_slots_available" in text
        assert 'task_queue="worker-metrics"' in text
    finally:
        worker.send_signal(signal.SIGTERM)
        await asyncio.wait_for(worker.wait(), 30)
