"""What goes in and out of the audit window workflow: its id, its input, its activity's input.

Plain dataclasses of strings (times as ISO 8601) so Temporal's default converter carries them.
Apart from workflows.py, so the service, the activity and the workflow can all import them.
"""

from dataclasses import dataclass

WINDOW_ENDED = "window ended"
CLOSED_EARLY = "closed early"


def audit_workflow_id(audit_id: object) -> str:
    return f"audit-window-{audit_id}"


@dataclass
class AuditWindowParams:
    audit_id: str
    closes_at: str  # ISO 8601 with time zone
    # faio's clock minus the system's (shared.clock): added to workflow.now() to read the calendar.
    clock_offset_seconds: float = 0.0


@dataclass
class CompleteAudit:
    audit_id: str
    reason: str
    closed_at: str  # ISO 8601, the workflow's clock: the same on every retry
