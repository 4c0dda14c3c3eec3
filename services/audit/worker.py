"""The audit Temporal worker, a process of its own: `python -m services.audit.worker`.

It runs the audit-window timers and the activity that computes findings, writing to the
audit database (the API process's outbox relay publishes what it stages). Stops gracefully
on SIGINT/SIGTERM: a running activity gets time to finish, and timers simply continue on
the next worker that starts.
"""

import asyncio
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from services.audit.activities import AuditActivities
from services.audit.settings import AuditSettings
from services.audit.workflows import AuditWindowWorkflow
from shared.temporal import run_worker

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
    settings = AuditSettings()
    await run_worker(
        settings,
        migrations_dir=Path(__file__).parent / "migrations",
        create_worker=lambda client, sessions: create_worker(
            client, settings.temporal_task_queue, AuditActivities(sessions)
        ),
    )


if __name__ == "__main__":
    asyncio.run(main())
