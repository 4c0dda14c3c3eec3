"""`faio audit import`: what it sends to the audit service and how it reports the answer."""

from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from services.cli import audit as audit_cli
from services.cli.main import app

AUDIT_ID = "0f8f3a2e-1111-4c4c-9999-000000000001"
FILE = "staff_id,role,day,category,description,minutes,occurrences,predictability,tools\n" + (
    "fd-1,front desk,2026-12-07,billing,post payments,5,10,mostly_same,\n" * 3000
)


def serve(monkeypatch: pytest.MonkeyPatch, answer: tuple[int, dict[str, Any]]) -> list[httpx.Request]:
    """Route the CLI's HTTP client to a stand-in audit service; return the requests it got."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        requests.append(request)
        return httpx.Response(answer[0], json=answer[1])

    real_client = audit_cli._client

    def client(token: str, url: str | None) -> httpx.Client:
        made = real_client(token, url)
        made._transport = httpx.MockTransport(handler)
        return made

    monkeypatch.setattr(audit_cli, "_client", client)
    return requests


def test_import_uploads_the_file_and_reports_success(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "week.csv"
    path.write_text(FILE)
    report = {"audit_id": AUDIT_ID, "dry_run": False, "rows": 3000, "imported": 3000, "errors": []}
    requests = serve(monkeypatch, (201, report))

    result = CliRunner().invoke(
        app,
        ["audit", "import", str(path), "--audit", AUDIT_ID, "--url", "http://audit.test"],
        env={"FAIO_TOKEN": "secret-token"},
    )

    assert result.exit_code == 0, result.output
    assert f"imported 3000 rows into audit {AUDIT_ID}" in result.output
    (request,) = requests
    assert request.url.path == f"/v1/audits/{AUDIT_ID}/entries:import"
    assert request.url.params["dry_run"] == "false"
    assert request.headers["authorization"] == "Bearer secret-token"
    assert request.headers["content-type"] == "text/csv"
    assert request.content == FILE.encode()  # every chunk arrived, in order


def test_a_refused_file_lists_every_problem_and_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "week.csv"
    path.write_text(FILE)
    errors = [
        {"line": 3, "column": "day", "reason": "'2026-12-32' is not a date; use YYYY-MM-DD"},
        {"line": 5, "column": "minutes", "reason": "must be at least 1 (got -15)"},
    ]
    report = {"audit_id": AUDIT_ID, "dry_run": True, "rows": 3000, "imported": 0, "errors": errors}
    requests = serve(monkeypatch, (422, report))

    result = CliRunner().invoke(
        app, ["audit", "import", str(path), "--audit", AUDIT_ID, "--dry-run", "--token", "t"]
    )

    assert result.exit_code == 1
    assert "2 problem(s)" in result.output and "is not a date" in result.output and "minutes" in result.output
    assert requests[0].url.params["dry_run"] == "true"
    assert str(requests[0].url).startswith("http://127.0.0.1:8002/")  # the default base URL


def test_an_unknown_audit_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "week.csv"
    path.write_text(FILE)
    serve(monkeypatch, (404, {"detail": f"audit {AUDIT_ID} not found"}))

    result = CliRunner().invoke(app, ["audit", "import", str(path), "--audit", AUDIT_ID, "--token", "t"])

    assert result.exit_code == 1
    assert f"audit {AUDIT_ID} not found" in result.output
