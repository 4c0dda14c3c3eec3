"""A workflow that carries what faio must never leave readable in Temporal: a clinic's name and an
officer's note (test_temporal_codec.py). Its own module so the workflow sandbox imports only this."""

import uuid
from dataclasses import dataclass

from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker


@dataclass
class NotedPlan:
    clinic_name: str
    kpi: str


@workflow.defn(sandboxed=False)
class NotedPlanWorkflow:
    """Waits for the officer's decision (a signal with a note), then returns both."""

    def __init__(self) -> None:
        self.note: str | None = None

    @workflow.run
    async def run(self, plan: NotedPlan) -> str:
        await workflow.wait_condition(lambda: self.note is not None)
        return f"{plan.clinic_name}: {self.note}"

    @workflow.signal
    def decide(self, note: str) -> None:
        self.note = note


async def run_noted_plan(worker_client: Client, client: Client) -> str:
    """One plan, end to end: `client` starts and signals it, a worker on `worker_client` runs it."""
    queue = f"noted-{uuid.uuid4()}"
    async with Worker(worker_client, task_queue=queue, workflows=[NotedPlanWorkflow]):
        handle = await client.start_workflow(
            NotedPlanWorkflow.run, NotedPlan("Clinic", "kpi"), id=f"noted-{uuid.uuid4()}", task_queue=queue
        )
        await handle.signal(NotedPlanWorkflow.decide, "go")
        return await handle.result()
