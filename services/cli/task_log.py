"""`faio audit link ...`: staff log their own audit week through a link; who has not logged yet."""

from typing import Annotated

import typer

from services.cli.client import JsonOption, TokenOption, call
from services.cli.render import console, copyable, emit, fail, hint, table, when
from shared.api_client import audit

UNKNOWN_AUDIT = "`faio audit list <clinic-id>` shows a clinic's audits"
AuditId = Annotated[
    str, typer.Argument(help="The audit id (printed by `faio audit open`).", show_default=False)
]


def _roster(members: list[str]) -> list[dict[str, str]] | None:
    """`--staff fd-1:front desk` options as a roster; none means the clinic's head-counts."""
    roster = []
    for member in members:
        staff_id, _, role = member.partition(":")
        if not staff_id.strip() or not role.strip():
            fail(
                f"--staff {member!r} needs a pseudonym and a role",
                hint="e.g. --staff 'fd-1:front desk'",
                code=2,
            )
        roster.append({"staff_id": staff_id.strip(), "role": role.strip()})
    return roster or None


def create_link(
    audit_id: AuditId,
    token: TokenOption = "",
    staff: Annotated[
        list[str],
        typer.Option(
            "--staff",
            help="pseudonym:role, once per staff member (default: one per head-count, e.g. front-desk-1).",
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    as_json: JsonOption = False,
) -> None:
    """Make the link staff open on their phone to log tasks under their pseudonym (shown once)."""
    link = audit.create_task_log_link(audit_id=audit_id, roster=_roster(staff) if staff else None)
    made = call(link, token=token, not_found_hint=UNKNOWN_AUDIT)
    if as_json:
        emit(made, as_json=True, human=lambda: None)
        return
    console.print(
        f"Task-log link for {len(made['roster'])} staff, valid until {when(made['expires_at'])} UTC:"
    )
    copyable("link", made["url"])
    copyable("link id", made["id"])
    console.print("Pseudonyms: " + ", ".join(f"{m['staff_id']} ({m['role']})" for m in made["roster"]))
    hint(f"each day: `faio audit not-logged {audit_id}`")


def list_links(audit_id: AuditId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """The audit's task-log links (never their tokens)."""
    links = call(audit.task_log_links(audit_id=audit_id), token=token, not_found_hint=UNKNOWN_AUDIT)
    rows = [
        (
            link["id"],
            len(link["roster"]),
            when(link["expires_at"]),
            "revoked" if link["revoked_at"] else "live",
        )
        for link in links
    ]
    emit(
        links,
        as_json=as_json,
        human=lambda: console.print(
            table(f"{len(links)} link(s)", ("id", "staff", "expires", "state"), rows)
        ),
    )


def revoke_link(
    link_id: Annotated[str, typer.Argument(help="The link id.", show_default=False)],
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Refuse a task-log link from now on (what was logged stays)."""
    done = call(audit.revoke_task_log_link(link_id=link_id), token=token)
    emit(done, as_json=as_json, human=lambda: console.print(f"Link {link_id} revoked: it no longer opens."))


def not_logged(audit_id: AuditId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """Per day so far, who on the roster has not logged a task yet."""
    status = call(audit.logging_status(audit_id=audit_id), token=token, not_found_hint=UNKNOWN_AUDIT)
    rows = [
        (
            day["day"],
            f"{len(day['logged'])} of {len(status['roster'])}",
            ", ".join(day["not_logged"]) or "everyone logged",
        )
        for day in status["days"]
    ]
    title = f"Who has not logged yet ({len(status['roster'])} staff)"
    emit(
        status,
        as_json=as_json,
        human=lambda: console.print(table(title, ("day", "logged", "not logged yet"), rows)),
    )


def add_commands(audit_app: typer.Typer) -> None:
    """Self-logging commands, under `faio audit`."""
    audit_app.command("link")(create_link)
    audit_app.command("links")(list_links)
    audit_app.command("revoke-link")(revoke_link)
    audit_app.command("not-logged")(not_logged)
