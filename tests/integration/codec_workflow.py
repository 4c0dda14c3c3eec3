"""A workflow that carries what faio must never leave readable in Temporal: a clinic's name and an
officer's note (test_temporal_codec.py). Its own module so the workflow sandbox imports only this."""

from dataclasses import dataclass

from temporalio import workflow


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
