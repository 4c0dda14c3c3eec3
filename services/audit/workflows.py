"""Audit's Temporal workflow. Deterministic: the clock is workflow.now(), side effects are activities."""

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from services.audit.activities import AuditActivities
    from services.audit.windows import CLOSED_EARLY, WINDOW_ENDED, AuditWindowParams, CompleteAudit


@workflow.defn
class AuditWindowWorkflow:
    """One audit window, from opening to findings.

    A durable timer waits until the window's end (days, surviving restarts of every process);
    the officer may close it earlier with the `close` signal. Either way one activity computes
    the findings, stores them and stages audit.audit.completed.v1 in the outbox. A window lasts
    at most a month and has a handful of events, so its history never needs continue-as-new.
    """

    def __init__(self) -> None:
        self._close_requested = False
        self._status = "open"

    @workflow.run
    async def run(self, params: AuditWindowParams) -> str:
        offset = timedelta(seconds=params.clock_offset_seconds)
        remaining = datetime.fromisoformat(params.closes_at) - (workflow.now() + offset)
        reason = WINDOW_ENDED
        if remaining > timedelta(0):
            try:
                await workflow.wait_condition(lambda: self._close_requested, timeout=remaining)
                reason = CLOSED_EARLY
            except TimeoutError:
                reason = WINDOW_ENDED
        self._status = "closing"
        await workflow.execute_activity_method(
            AuditActivities.complete_audit,
            CompleteAudit(
                audit_id=params.audit_id, reason=reason, closed_at=(workflow.now() + offset).isoformat()
            ),
            start_to_close_timeout=timedelta(minutes=2),
            # The activity is idempotent, so retrying is always safe; an audit that does not
            # exist can never complete, so that error is not retried.
            retry_policy=RetryPolicy(
                maximum_attempts=20,
                maximum_interval=timedelta(minutes=5),
                non_retryable_error_types=["AuditNotFound"],
            ),
        )
        self._status = "closed"
        return reason

    @workflow.signal
    def close(self) -> None:
        """The officer closes the window before its end."""
        self._close_requested = True

    @workflow.query
    def status(self) -> str:
        return self._status
