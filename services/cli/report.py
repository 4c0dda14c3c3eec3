"""`faio report`: the practice's roadmap report as a PDF, from the portal, for the practice owner."""

import re
from pathlib import Path
from typing import Annotated

import typer

from services.cli.client import JsonOption, TokenOption, refuse, request
from services.cli.clinic import NOT_YOURS
from services.cli.render import copyable, emit, fail, hint
from shared.api_client import Refusal, portal

# WeasyPrint lays the report out in a few seconds; a busy portal may take longer.
PDF_TIMEOUT_SECONDS = 120.0
FILENAME = re.compile(r'filename="([^"]+)"')


def practice_report(
    clinic: Annotated[
        str, typer.Option("--clinic", help="The clinic's id (see `faio clinic list`).", show_default=False)
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Where to write the PDF (default: the portal's name for it, in this folder).",
            show_default=False,
        ),
    ] = None,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """The practice's roadmap report as a PDF: readiness, where the hours go, the first problem, the plan,
    the KPI and the money. Built by the portal (FAIO_PORTAL_URL or --portal-url)."""
    report = portal.practice_report_pdf(clinic_id=clinic)
    response = request(report, token=token, timeout=PDF_TIMEOUT_SECONDS)
    if not response.is_success:
        refuse(Refusal.of(report.service, response), not_found_hint=NOT_YOURS)
    if response.headers.get("content-type") != "application/pdf":
        fail(
            f"the portal answered {response.headers.get('content-type')!r}, not a PDF",
            hint="check that FAIO_PORTAL_URL (or --portal-url) points at the portal",
        )
    named = FILENAME.search(response.headers.get("content-disposition", ""))
    path = out or Path(Path(named.group(1)).name if named else f"roadmap-{clinic}.pdf")
    try:
        path.write_bytes(response.content)
    except OSError as error:
        fail(f"cannot write {path}: {error.strerror or error}", hint="choose another file with --out")
    where = str(path.resolve())

    def human() -> None:
        copyable("report", where)
        hint(f"{len(response.content) / 1024:.0f} KiB; hand it to the practice owner")

    emit({"path": where, "bytes": len(response.content)}, as_json=as_json, human=human)
