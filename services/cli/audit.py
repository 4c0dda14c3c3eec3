"""`faio audit ...`: the task audit from the command line, over HTTP to the audit service.

The service is at FAIO_AUDIT_URL (or --url; default http://127.0.0.1:8002); the officer's
token comes from --token or FAIO_TOKEN.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from services.audit.settings import AuditSettings

audit_app = typer.Typer(help="The one-week task audit: spreadsheets in, findings out.", no_args_is_help=True)

console = Console()
errors = Console(stderr=True)

CHUNK_BYTES = 64 * 1024
# Large files take the server a few seconds to check row by row; never cut that short.
TIMEOUT = httpx.Timeout(30.0, read=300.0)

TokenOption = Annotated[
    str,
    typer.Option(
        "--token", envvar="FAIO_TOKEN", help="Your officer token (or set FAIO_TOKEN).", show_default=False
    ),
]
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="The audit service (default FAIO_AUDIT_URL or http://127.0.0.1:8002).",
        show_default=False,
    ),
]
AuditOption = Annotated[str, typer.Option("--audit", help="The audit id (from opening the audit window).")]


def fail(message: str, *, hint: str = "", code: int = 1) -> NoReturn:
    """Print what went wrong and what to do next, then exit."""
    errors.print(f"[bold red]error:[/] {message}")
    if hint:
        errors.print(f"[yellow]next:[/] {hint}")
    raise typer.Exit(code)


def _client(token: str, url: str | None) -> httpx.Client:
    if not token:
        fail(
            "no officer token", hint="pass --token or set FAIO_TOKEN (create one with `faio officer create`)"
        )
    return httpx.Client(
        base_url=url or AuditSettings().audit_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )


def _detail(response: httpx.Response) -> Any:
    try:
        return response.json().get("detail", response.text)
    except ValueError:
        return response.text


def _refuse(response: httpx.Response, audit: str) -> NoReturn:
    """A non-success answer other than a row report, explained."""
    if response.status_code == 401:
        fail(f"the audit service refused the token: {_detail(response)}", hint="check FAIO_TOKEN")
    if response.status_code == 404:
        fail(f"audit {audit} not found", hint="check the id; you only see the audits of your own clinics")
    fail(f"the audit service answered {response.status_code}: {_detail(response)}")


def _chunks(data: bytes, progress: Progress, task: Any) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK_BYTES):
        chunk = data[start : start + CHUNK_BYTES]
        yield chunk
        progress.update(task, advance=len(chunk))


@audit_app.command("import")
def import_file(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The filled-in CSV.")
    ],
    audit: AuditOption,
    token: TokenOption = "",
    url: UrlOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row, store nothing.")] = False,
) -> None:
    """Import a filled-in task log spreadsheet (CSV), all rows or none."""
    data = file.read_bytes()
    with _client(token, url) as client:
        try:
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            ) as progress:
                task = progress.add_task(f"uploading {file.name}", total=len(data))
                response = client.post(
                    f"/v1/audits/{audit}/entries:import",
                    content=_chunks(data, progress, task),
                    params={"dry_run": dry_run},
                    headers={"Content-Type": "text/csv", "Content-Length": str(len(data))},
                )
                progress.update(task, description="checking rows")
        except httpx.TransportError as error:
            fail(f"cannot reach the audit service at {client.base_url} ({error})", hint="is `make run` up?")

    if response.status_code not in (200, 201, 422) or "errors" not in response.text:
        _refuse(response, audit)
    report = response.json()
    if report["errors"]:
        table = Table(title=f"{file.name}: nothing imported, {len(report['errors'])} problem(s) to fix")
        for column in ("line", "column", "reason"):
            table.add_column(column)
        for problem in report["errors"]:
            table.add_row(str(problem["line"]), problem["column"], problem["reason"])
        console.print(table)
        fail("the file was refused as a whole", hint="fix the rows above and import again", code=1)
    if report["dry_run"]:
        console.print(f"[green]dry run:[/] all {report['rows']} rows are valid; nothing stored")
    else:
        console.print(f"[green]imported[/] {report['imported']} rows into audit {audit}")


@audit_app.command("template")
def download_template(
    audit: AuditOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to save the CSV.")] = Path(
        "audit-template.csv"
    ),
    token: TokenOption = "",
    url: UrlOption = None,
) -> None:
    """Save the CSV template (header + one example row to replace) for an audit."""
    with _client(token, url) as client:
        try:
            response = client.get(f"/v1/audits/{audit}/entries:template")
        except httpx.TransportError as error:
            fail(f"cannot reach the audit service at {client.base_url} ({error})", hint="is `make run` up?")
    if response.status_code != 200:
        _refuse(response, audit)
    output.write_text(response.text, encoding="utf-8")
    console.print(
        f"template saved to {output}; fill one row per task and day, then "
        f"`faio audit import {output} --audit {audit}`"
    )
