"""audit's API: audit windows, their entries and imports, the findings, the task-log links staff log
with, and the task log's public form."""

from collections.abc import Iterable
from typing import Any

from shared.api_client.calls import Call, Id, Json, present
from shared.public_links import LINK_HEADER

# --- audit windows ------------------------------------------------------------------------------


def open_audit(*, clinic_id: Id, days: int | None = None, starts_on: str | None = None) -> Call[Json]:
    """A window in which staff log their tasks (default: 7 days from today); it closes by itself."""
    body = present(days=days, starts_on=starts_on)
    return Call("audit", "POST", f"/v1/clinics/{clinic_id}/audits", json=body)


def audits(*, clinic_id: Id) -> Call[list[Json]]:
    """A clinic's audit windows, newest first."""
    return Call("audit", "GET", f"/v1/clinics/{clinic_id}/audits")


def audit(*, audit_id: Id) -> Call[Json]:
    """One audit window and how many entries it has."""
    return Call("audit", "GET", f"/v1/audits/{audit_id}")


def close_audit(*, audit_id: Id) -> Call[Json]:
    """Close the window before its end; the findings follow."""
    return Call("audit", "POST", f"/v1/audits/{audit_id}/close")


def findings(*, audit_id: Id) -> Call[Json]:
    """Where the hours go and what to automate first (once the window closed)."""
    return Call("audit", "GET", f"/v1/audits/{audit_id}/findings")


# --- entries and spreadsheet imports ------------------------------------------------------------


def add_entries(*, audit_id: Id, entries: list[Json]) -> Call[Any]:
    """Task log entries, as JSON."""
    return Call("audit", "POST", f"/v1/audits/{audit_id}/entries", json=entries)


def entries_template(*, audit_id: Id) -> Call[str]:
    """The CSV template for the audit's task log (header and an example row)."""
    return Call("audit", "GET", f"/v1/audits/{audit_id}/entries:template", reads="text")


def import_entries(*, audit_id: Id, csv: Iterable[bytes], length: int, dry_run: bool) -> Call[Json]:
    """A filled-in CSV, streamed: all rows or none (a 422 answer lists every bad row)."""
    headers = {"Content-Type": "text/csv", "Content-Length": str(length)}
    return Call(
        "audit",
        "POST",
        f"/v1/audits/{audit_id}/entries:import",
        content=csv,
        params={"dry_run": dry_run},
        headers=headers,
    )


def imports(*, audit_id: Id) -> Call[list[Json]]:
    """The spreadsheets imported into an audit, and which were undone."""
    return Call("audit", "GET", f"/v1/audits/{audit_id}/imports")


def undo_import(*, audit_id: Id, import_id: Id) -> Call[Json]:
    """Remove the entries one import brought (while the audit is open)."""
    return Call("audit", "DELETE", f"/v1/audits/{audit_id}/imports/{import_id}")


# --- staff log their own week -------------------------------------------------------------------


def create_task_log_link(*, audit_id: Id, roster: list[Json] | None = None) -> Call[Json]:
    """The link staff log with (its URL is shown once); without a roster, one per head-count."""
    body = {"roster": roster} if roster else None
    return Call("audit", "POST", f"/v1/audits/{audit_id}/task-log-links", json=body)


def task_log_links(*, audit_id: Id) -> Call[list[Json]]:
    """The audit's task-log links (never their tokens)."""
    return Call("audit", "GET", f"/v1/audits/{audit_id}/task-log-links")


def revoke_task_log_link(*, link_id: Id) -> Call[Json]:
    """The link opens nothing from now on (what was logged stays)."""
    return Call("audit", "POST", f"/v1/task-log-links/{link_id}/revoke")


def logging_status(*, audit_id: Id) -> Call[Json]:
    """Per day so far, who on the roster has not logged a task yet."""
    return Call("audit", "GET", f"/v1/audits/{audit_id}/logging-status")


# --- the task log's public form (the link's token in LINK_HEADER, no account) ------------------


def task_log_form(*, link: str) -> Call[Json]:
    """What the staff link opens: the window's days, the roster, the categories, a form stamp."""
    return Call("audit", "GET", "/v1/public/task-log", headers={LINK_HEADER: link})


def log_task(*, link: str, task: dict[str, Any]) -> Call[Json]:
    """One task, logged under a pseudonym from the roster."""
    return Call("audit", "POST", "/v1/public/task-log", json=task, headers={LINK_HEADER: link})
