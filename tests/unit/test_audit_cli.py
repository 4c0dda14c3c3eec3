"""`faio audit ...` against a stand-in audit service: what it sends and how it reports the answer."""

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx

from tests.unit.cli_support import FakeServices, faio, services

__all__ = ["services"]  # the fixture, used by name

AUDIT_ID = "0f8f3a2e-1111-4c4c-9999-000000000001"
IMPORT_ID = "0f8f3a2e-2222-4c4c-9999-000000000002"
CLINIC_ID = "4201c2fd-2f77-467a-a64e-4b1612ab2699"
FILE = "staff_id,role,day,category,description,minutes,occurrences,predictability,tools\n" + (
    "fd-1,front desk,2026-12-07,billing,post payments,5,10,mostly_same,\n" * 3000
)
AUDIT: dict[str, Any] = {
    "id": AUDIT_ID,
    "clinic_id": CLINIC_ID,
    "starts_on": "2020-01-06",
    "ends_on": "2020-01-08",
    "closes_at": "2020-01-09T00:00:00Z",
    "days": 3,
    "status": "open",
    "entries": 0,
    "close_reason": None,
    "closed_at": None,
    "created_at": "2020-01-06T08:00:00Z",
}


def test_import_uploads_the_file_and_reports_success(services: FakeServices, tmp_path: Path) -> None:
    path = tmp_path / "week.csv"
    path.write_text(FILE)
    report = {
        "audit_id": AUDIT_ID,
        "import_id": IMPORT_ID,
        "dry_run": False,
        "rows": 3000,
        "imported": 3000,
        "errors": [],
    }
    services.answer("POST", f"/v1/audits/{AUDIT_ID}/entries:import", 201, report)

    result = faio("--audit-url", "http://audit.test", "audit", "import", str(path), "--audit", AUDIT_ID)

    assert result.exit_code == 0, result.output
    assert f"imported 3000 rows into audit {AUDIT_ID}, import {IMPORT_ID}" in result.output
    assert f"faio audit undo-import {IMPORT_ID} --audit {AUDIT_ID}" in result.output
    (request,) = services.requests
    assert str(request.url).startswith("http://audit.test/")
    assert request.url.params["dry_run"] == "false"
    assert request.headers["authorization"] == "Bearer officer-token"
    assert request.headers["content-type"] == "text/csv"
    assert request.content == FILE.encode()  # every chunk arrived, in order


def test_a_refused_file_lists_every_problem_and_exits_2(services: FakeServices, tmp_path: Path) -> None:
    path = tmp_path / "week.csv"
    path.write_text(FILE)
    errors = [
        {"line": 3, "column": "day", "reason": "'2026-12-32' is not a date; use YYYY-MM-DD"},
        {"line": 5, "column": "minutes", "reason": "must be at least 1 (got -15)"},
    ]
    report = {"audit_id": AUDIT_ID, "dry_run": True, "rows": 3000, "imported": 0, "errors": errors}
    services.answer("POST", f"/v1/audits/{AUDIT_ID}/entries:import", 422, report)

    result = faio("audit", "import", str(path), "--audit", AUDIT_ID, "--dry-run")

    assert result.exit_code == 2
    assert "2 problem(s)" in result.output and "is not a date" in result.output and "minutes" in result.output
    assert services.requests[0].url.params["dry_run"] == "true"
    assert str(services.requests[0].url).startswith("http://127.0.0.1:8002/")  # the default base URL


def test_an_unknown_audit_says_so_and_where_to_look(services: FakeServices, tmp_path: Path) -> None:
    path = tmp_path / "week.csv"
    path.write_text(FILE)
    services.answer(
        "POST", f"/v1/audits/{AUDIT_ID}/entries:import", 404, {"detail": f"audit {AUDIT_ID} not found"}
    )

    result = faio("audit", "import", str(path), "--audit", AUDIT_ID)

    assert result.exit_code == 1
    assert f"audit {AUDIT_ID} not found" in result.stderr
    assert "faio audit list" in result.stderr


def test_open_prints_the_audit_id_whole(services: FakeServices) -> None:
    services.answer("POST", f"/v1/clinics/{CLINIC_ID}/audits", 201, AUDIT)
    result = faio("audit", "open", CLINIC_ID, "--days", "3")
    assert result.exit_code == 0, result.output
    assert f"audit id: {AUDIT_ID}" in result.stdout.splitlines()
    assert services.body("POST", f"/v1/clinics/{CLINIC_ID}/audits") == {"days": 3}


def test_close_waits_for_the_findings(services: FakeServices) -> None:
    services.answer(
        "POST",
        f"/v1/audits/{AUDIT_ID}/close",
        202,
        {"audit_id": AUDIT_ID, "status": "closing", "detail": "soon"},
    )
    polls = iter([AUDIT, AUDIT | {"status": "closed", "close_reason": "closed_early", "entries": 12}])

    def read(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=next(polls))

    services.answers[("GET", f"/v1/audits/{AUDIT_ID}")] = read
    result = faio("audit", "close", AUDIT_ID, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "closed"
    assert len([r for r in services.requests if r.method == "GET"]) == 2


def test_a_sample_week_fills_every_role_and_day_already_lived(services: FakeServices, tmp_path: Path) -> None:
    services.answer("GET", f"/v1/audits/{AUDIT_ID}", 200, AUDIT)
    staff = [
        {"role": "front desk", "headcount": 2, "hourly_cost": 24},
        {"role": "physician", "headcount": 1, "hourly_cost": 120},
    ]
    services.answer("GET", f"/v1/clinics/{CLINIC_ID}", 200, {"id": CLINIC_ID, "staff": staff})
    output = tmp_path / "week.csv"

    result = faio("audit", "template", "--audit", AUDIT_ID, "--sample", "-o", str(output))

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(output.read_text())))
    assert {(row["staff_id"], row["role"]) for row in rows} == {
        ("staff-101", "front desk"),
        ("staff-102", "front desk"),
        ("staff-201", "physician"),
    }
    assert {row["day"] for row in rows} == {"2020-01-06", "2020-01-07", "2020-01-08"}
    assert str(services.sent("GET", f"/v1/clinics/{CLINIC_ID}").url).startswith("http://127.0.0.1:8001/")


def test_findings_of_an_open_audit_explain_when_they_come(services: FakeServices) -> None:
    detail = f"audit {AUDIT_ID} is still open until 2020-01-09 00:00 UTC; findings appear when it closes"
    services.answer("GET", f"/v1/audits/{AUDIT_ID}/findings", 409, {"detail": detail})
    result = faio("audit", "findings", AUDIT_ID)
    assert result.exit_code == 1
    assert "findings appear when it closes" in result.stderr


def test_a_file_with_names_for_staff_ids_is_never_uploaded(services: FakeServices, tmp_path: Path) -> None:
    path = tmp_path / "week.csv"
    rows = [
        *FILE.splitlines()[:3],
        "Maria Lopez,front desk,2026-12-07,billing,post payments,5,10,mostly_same,",
        "Jane.Doe,front desk,2026-12-07,billing,post payments,5,10,mostly_same,",
    ]
    path.write_text("\n".join(rows) + "\n")

    result = faio("audit", "import", str(path), "--audit", AUDIT_ID)

    assert result.exit_code == 2
    assert services.requests == []
    assert "Maria Lopez" in result.output and "Jane.Doe" in result.output
    assert "│ 4 " in result.output and "│ 5 " in result.output  # the lines to fix
    assert "staff-101" in result.stderr
