"""Audit's edge to Temporal: starts a window's timer workflow and asks it to close early.

The starter of samples-python: apart from the worker, the one module that knows the workflow
class. Temporal's answers become the domain's errors (or TemporalUnavailable, a 503) here.
"""

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from services.audit.models import AuditWindow
from services.audit.windows import AuditWindowParams
from services.audit.workflows import AuditWindowWorkflow
from shared import clock
from shared.errors import Conflict
from shared.temporal import unavailable_when_unreachable


async def start_window_timer(temporal: Client, audit: AuditWindow, *, task_queue: str) -> None:
    """Start the workflow that closes the window at its end; starting it twice is harmless."""
    async with unavailable_when_unreachable("the window's timer could not be started; nothing was opened"):
        await temporal.start_workflow(
            AuditWindowWorkflow.run,
            AuditWindowParams(
                audit_id=str(audit.id),
                closes_at=audit.closes_at.isoformat(),
                clock_offset_seconds=clock.offset_seconds(),
            ),
            id=audit.workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )


async def request_close(temporal: Client, audit: AuditWindow) -> None:
    """Ask the window's workflow to close it now; it computes the findings shortly after."""
    handle = temporal.get_workflow_handle_for(AuditWindowWorkflow.run, audit.workflow_id)
    async with unavailable_when_unreachable("the window was not closed"):
        try:
            await handle.signal(AuditWindowWorkflow.close)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            # The timer fired a moment ago: the window is closing on its own.
            raise Conflict(
                f"audit {audit.id} is already closing at its end; its findings follow within moments"
            ) from error
