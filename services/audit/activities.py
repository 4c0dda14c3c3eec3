"""Audit's Temporal activities: thin adapters around service functions, idempotent."""

from datetime import datetime
from uuid import UUID

from temporalio import activity
from temporalio.exceptions import ApplicationError

from services.audit import service
from services.audit.windows import CompleteAudit
from shared.db import SessionFactory


class AuditActivities:
    """Activities given their dependencies: the audit database."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="complete_audit")  # the name recorded in histories: keep it
    async def complete_audit(self, request: CompleteAudit) -> str:
        """Close the window, store its findings and stage the completed event; a retry after a
        success finds the window closed and changes nothing."""
        async with self.sessions() as session:
            audit = await service.complete_audit(
                session=session,
                audit_id=UUID(request.audit_id),
                reason=request.reason,
                closed_at=datetime.fromisoformat(request.closed_at),
            )
            if audit is None:
                raise ApplicationError(f"audit {request.audit_id} does not exist", type="AuditNotFound")
            await session.commit()
            return audit.status.value
