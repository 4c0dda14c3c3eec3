"""Roadmap's Temporal workflows. Deterministic: side effects belong in activities."""

from datetime import timedelta

from temporalio import workflow


def roadmap_workflow_id(clinic_id: object) -> str:
    return f"roadmap-{clinic_id}"


@workflow.defn
class ClinicRoadmapWorkflow:
    """A clinic's roadmap for as long as it is in the portfolio.

    For now a placeholder that stays open until closed; the implementation plans of
    approved initiatives will run as its children. It re-arms daily through
    continue-as-new so its history never grows, however many months it lives.
    """

    def __init__(self) -> None:
        self._closed = False

    @workflow.run
    async def run(self, clinic_id: str) -> str:
        try:
            await workflow.wait_condition(lambda: self._closed, timeout=timedelta(days=30))
        except TimeoutError:
            workflow.continue_as_new(clinic_id)
        return f"roadmap of clinic {clinic_id} closed"

    @workflow.signal
    def close(self) -> None:
        self._closed = True

    @workflow.query
    def status(self) -> str:
        return "closed" if self._closed else "open"
