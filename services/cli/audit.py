"""`faio audit ...`: the one-week task audit, at the audit service (intake for the clinic's roles)."""

import csv
import io
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from services.cli import samples
from services.cli.client import JsonOption, TokenOption, call, refuse, request
from services.cli.clinic import NOT_YOURS, ClinicId
from services.cli.render import console, copyable, details, emit, fail, hint, number, progress, table, when
from shared import clock
from shared.api_client import Refusal, intake
from shared.api_client import audit as audit_api
from shared.pseudonyms import pseudonym_problem

audit_app = typer.Typer(
    help="The one-week task audit: open, spreadsheets in, close, findings.", no_args_is_help=True
)

UNKNOWN_AUDIT = "`faio audit list <clinic-id>` shows a clinic's audits"
AuditId = Annotated[
    str, typer.Argument(help="The audit id (printed by `faio audit open`).", show_default=False)
]
AuditOption = Annotated[
    str, typer.Option("--audit", help="The audit id (printed by `faio audit open`).", show_default=False)
]
CHUNK_BYTES = 64 * 1024
# Large files take the server a few seconds to check row by row; never cut that short.
IMPORT_TIMEOUT = httpx.Timeout(30.0, read=300.0)


def _show(audit: dict[str, Any]) -> None:
    rows = [
        ("clinic", audit["clinic_id"]),
        ("window", f"{audit['starts_on']} to {audit['ends_on']} ({audit['days']} days)"),
        ("closes", f"{when(audit['closes_at'])} UTC"),
        ("status", audit["status"] + (f" ({audit['close_reason']})" if audit.get("close_reason") else "")),
        ("entries", audit["entries"]),
    ]
    console.print(details(f"Audit {audit['id']}", rows))
    copyable("audit id", audit["id"])


@audit_app.command("open")
def open_audit(
    clinic_id: ClinicId,
    token: TokenOption = "",
    days: Annotated[int, typer.Option(min=1, max=31, help="How many days staff log tasks.")] = 7,
    starts_on: Annotated[
        str | None, typer.Option(help="First day logged, YYYY-MM-DD (default today).", show_default=False)
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Open an audit window for a clinic; it closes by itself at its end."""
    window = audit_api.open_audit(clinic_id=clinic_id, days=days, starts_on=starts_on or None)
    audit = call(window, token=token, not_found_hint=NOT_YOURS)

    def human() -> None:
        _show(audit)
        hint(f"faio audit template --audit {audit['id']} -o week.csv")

    emit(audit, as_json=as_json, human=human)


@audit_app.command("list")
def list_audits(clinic_id: ClinicId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """A clinic's audit windows, newest first."""
    audits = call(audit_api.audits(clinic_id=clinic_id), token=token, not_found_hint=NOT_YOURS)
    rows = [(a["id"], a["starts_on"], a["ends_on"], a["status"], a["entries"]) for a in audits]
    columns = ("id", "from", "to", "status", "entries")
    emit(
        audits, as_json=as_json, human=lambda: console.print(table(f"{len(audits)} audit(s)", columns, rows))
    )


@audit_app.command("show")
def show_audit(audit_id: AuditId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """One audit window and how many entries it has."""
    audit = call(audit_api.audit(audit_id=audit_id), token=token, not_found_hint=UNKNOWN_AUDIT)
    emit(audit, as_json=as_json, human=lambda: _show(audit))


@audit_app.command("close")
def close_audit(
    audit_id: AuditId,
    token: TokenOption = "",
    wait: Annotated[
        int, typer.Option(min=0, help="Seconds to wait for the findings (0: do not wait).")
    ] = 120,
    as_json: JsonOption = False,
) -> None:
    """Close the window before its end and wait for the findings."""
    closing = call(audit_api.close_audit(audit_id=audit_id), token=token, not_found_hint=UNKNOWN_AUDIT)
    audit: dict[str, Any] = closing
    if wait:
        deadline = time.monotonic() + wait
        with progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()) as spinner:
            spinner.add_task("computing the findings", total=None)
            while True:
                audit = call(audit_api.audit(audit_id=audit_id), token=token)
                if audit["status"] == "closed" or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        if audit["status"] != "closed":
            fail(
                f"audit {audit_id} is closing but has no findings after {wait} s",
                hint=f"faio audit findings {audit_id} in a moment",
            )

    def human() -> None:
        if audit.get("status") == "closed":
            console.print(f"[green]closed[/] audit {audit_id}: {audit['entries']} entries", highlight=False)
            hint(f"faio audit findings {audit_id}")
        else:
            console.print(closing["detail"], highlight=False)

    emit(audit, as_json=as_json, human=human)


def _audit_days(audit: dict[str, Any]) -> list[date]:
    """The window's days already lived (entries from the future are refused)."""
    first, last = date.fromisoformat(audit["starts_on"]), date.fromisoformat(audit["ends_on"])
    last = min(last, clock.today())
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@audit_app.command("template")
def download_template(
    audit: AuditOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to save the CSV.")] = Path(
        "audit-template.csv"
    ),
    sample: Annotated[
        bool,
        typer.Option("--sample", help="Fill it with a sample week of tasks for the clinic's roles (a demo)."),
    ] = False,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Save the CSV template for an audit (header + an example row to replace), or a filled sample."""
    if sample:
        window = call(audit_api.audit(audit_id=audit), token=token, not_found_hint=UNKNOWN_AUDIT)
        clinic = call(intake.clinic(clinic_id=window["clinic_id"]), token=token)
        headcounts = {role["role"]: role["headcount"] for role in clinic["staff"] if role["headcount"]}
        if not headcounts:
            fail(
                "the clinic has no staff roles to log tasks for",
                hint=f"faio clinic update {clinic['id']} --staff 'front desk:3:24'",
            )
        text = samples.task_log_csv(headcounts=headcounts, days=_audit_days(window))
    else:
        text = call(audit_api.entries_template(audit_id=audit), token=token, not_found_hint=UNKNOWN_AUDIT)
    output.write_text(text, encoding="utf-8")
    saved = {"path": str(output), "rows": text.count("\n") - 1, "sample": sample}

    def human() -> None:
        what = "sample week" if sample else "template"
        console.print(f"{what} saved to {output} ({saved['rows']} rows)", highlight=False)
        hint(f"faio audit import {output} --audit {audit}")

    emit(saved, as_json=as_json, human=human)


def _chunks(data: bytes, bar: Progress, task: Any) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK_BYTES):
        chunk = data[start : start + CHUNK_BYTES]
        yield chunk
        bar.update(task, advance=len(chunk))


def _named_staff(data: bytes) -> list[tuple[int, str, str]]:
    """Rows whose staff_id looks like a person's name: refused here so no name is ever uploaded.

    The audit service checks everything else (and the encoding); a file this cannot read goes as is.
    """
    try:
        rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
        staff_ids = ((line, (row.get("staff_id") or "").strip()) for line, row in enumerate(rows, start=2))
        found = [
            (line, "staff_id", f"{staff_id!r} {problem}")  # shown here only, on the officer's machine
            for line, staff_id in staff_ids
            if staff_id and (problem := pseudonym_problem(staff_id)) is not None
        ]
    except (UnicodeDecodeError, csv.Error):
        return []
    return found


@audit_app.command("import")
def import_file(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The filled-in CSV.")
    ],
    audit: AuditOption,
    token: TokenOption = "",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row, store nothing.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Import a filled-in task log spreadsheet (CSV): all rows or none, every bad row named."""
    data = file.read_bytes()
    if named := _named_staff(data):
        console.print(
            table(
                f"{file.name}: nothing sent, staff ids must not be names", ("line", "column", "reason"), named
            )
        )
        fail(
            "the file was not uploaded: some staff ids look like people's names",
            hint="replace each with a pseudonymous id such as staff-101, then import again",
            code=2,
        )
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
    with progress(*columns) as upload:
        task = upload.add_task(f"uploading {file.name}", total=len(data))
        upload_file = audit_api.import_entries(
            audit_id=audit, csv=_chunks(data, upload, task), length=len(data), dry_run=dry_run
        )
        response = request(upload_file, token=token, timeout=IMPORT_TIMEOUT)
    is_report = response.status_code in (200, 201, 422) and "errors" in response.text
    if not is_report:
        refuse(Refusal.of(upload_file.service, response), not_found_hint=UNKNOWN_AUDIT)
    report = response.json()
    if as_json:
        emit(report, as_json=True, human=lambda: None)
    elif report["errors"]:
        problems = [(p["line"], p["column"], p["reason"]) for p in report["errors"]]
        title = f"{file.name}: nothing imported, {len(problems)} problem(s) to fix"
        console.print(table(title, ("line", "column", "reason"), problems))
    elif report["dry_run"]:
        console.print(f"[green]dry run:[/] all {report['rows']} rows are valid; nothing stored")
    else:
        console.print(
            f"[green]imported[/] {report['imported']} rows into audit {audit}, import {report['import_id']}",
            highlight=False,
        )
        hint(f"faio audit close {audit}   (or wait for the window to end)")
        hint(f"a mistake? faio audit undo-import {report['import_id']} --audit {audit}")
    if report["errors"]:
        fail("the file was refused as a whole", hint="fix the rows named above and import again", code=2)


@audit_app.command("imports")
def list_imports(audit: AuditOption, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """The spreadsheets imported into an audit, and which were undone."""
    imports = call(audit_api.imports(audit_id=audit), token=token, not_found_hint=UNKNOWN_AUDIT)

    def human() -> None:
        rows = [
            (i["id"], when(i["imported_at"]), i["rows"], when(i["undone_at"]) if i["undone_at"] else "")
            for i in imports
        ]
        console.print(table(f"Imports of audit {audit}", ("import", "imported", "entries", "undone"), rows))

    emit(imports, as_json=as_json, human=human)


@audit_app.command("undo-import")
def undo_import(
    import_id: Annotated[str, typer.Argument(help="From `faio audit imports` or the import's output.")],
    audit: AuditOption,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Remove the entries one import brought (audit still open); the file can then be imported again."""
    undone = call(
        audit_api.undo_import(audit_id=audit, import_id=import_id), token=token, not_found_hint=UNKNOWN_AUDIT
    )

    def human() -> None:
        console.print(
            f"[green]undone[/] import {import_id}: its {undone['rows']} entries removed", highlight=False
        )
        hint(f"faio audit import <file> --audit {audit}")

    emit(undone, as_json=as_json, human=human)


@audit_app.command("findings")
def show_findings(audit_id: AuditId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """Where the hours go and what to automate first (once the window closed)."""
    found = call(audit_api.findings(audit_id=audit_id), token=token, not_found_hint=UNKNOWN_AUDIT)

    def human() -> None:
        findings = found["findings"]
        hours, cost = number(findings["total_hours_per_week"]), number(findings["total_cost_per_week"])
        console.print(
            f"Audit {audit_id}: {findings['entries']} entries over {findings['window_days']} days; "
            f"{hours} h and ${cost} a week",
            highlight=False,
        )
        rows = [
            (
                c["rank"],
                c["category"],
                c["solution"],
                number(c["hours_per_week"]),
                f"${number(c['cost_per_week'])}",
                f"{number(c['hours_saved_low'])}-{number(c['hours_saved_high'])} h",
            )
            for c in findings["candidates"]
        ]
        columns = ("rank", "category", "solution", "hours/week", "cost/week", "could save")
        console.print(table("Automation candidates", columns, rows))
        coverage = findings["coverage"]
        if coverage["low_confidence"]:
            console.print(f"[yellow]low confidence:[/] {coverage['reason']}", highlight=False)
        hint(f"faio initiative list {found['clinic_id']}")

    emit(found, as_json=as_json, human=human)
