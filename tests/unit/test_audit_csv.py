"""CSV import: the template, dry runs, and all-or-nothing with every bad row reported."""

import csv
import io
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from services.audit import entries_csv
from services.audit.models import TaskCategory
from tests.unit.test_audit_api import audit_app, entry

# A window that began two days ago and is never over when the suite runs: D2 is today, and days
# after tomorrow have not happened yet.
START = datetime.now(UTC).date() - timedelta(days=2)
D0, D1, D2, BEFORE, FUTURE = (START + timedelta(days=n) for n in (0, 1, 2, -1, 4))
HEADER = "staff_id,role,day,category,description,minutes,occurrences,predictability,tools\n"
BAD_FILE = (
    HEADER
    # line 2: good
    + f"fd-1,front desk,{D0},appointment_scheduling,confirm appointments,4,30,always_same,phone\n"
    + "fd-1,front desk,2026-12-32,billing,post payments,5,10,mostly_same,\n"  # line 3: bad date
    + f"fd-2,Front Desk,{D1},Insurance verification,check eligibility,10,18,mostly,payer portal\n"  # 4
    + f"dr-1,physician,{D1},documentation,visit notes,-15,5,mostly_same,EMR\n"  # line 5: negative
    + f"dr-1,physician,{D2},telepathy,visit notes,15,5,varies,EMR\n"  # line 6: unknown category
)


def good_file(rows: int, *, start: date) -> str:
    """A realistic week: random staff, categories, minutes and days within the window."""
    rng = random.Random(7)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(entries_csv.COLUMNS)
    staff = [("fd-1", "front desk"), ("fd-2", "front desk"), ("dr-1", "physician")]
    for _ in range(rows):
        staff_id, role = rng.choice(staff)
        writer.writerow(
            [
                staff_id,
                role,
                (start + timedelta(days=rng.randrange(3))).isoformat(),  # up to today
                rng.choice(list(TaskCategory)).value,
                f"task {rng.randrange(40)}",
                rng.randint(1, 30),
                rng.randint(1, 10),
                rng.choice(["always_same", "mostly_same", "varies"]),
                "phone;EMR",
            ]
        )
    return buffer.getvalue()


def test_reading_reports_every_bad_row_by_line_column_and_reason() -> None:
    entries, errors = entries_csv.read_entries(BAD_FILE)

    assert [line for line, _ in entries] == [2, 4]
    reported = [(error.line, error.column) for error in errors]
    assert reported == [(3, "day"), (5, "minutes"), (6, "category")]
    assert "'2026-12-32' is not a date" in errors[0].reason
    assert "must be at least 1 (got -15)" in errors[1].reason
    assert "'telepathy' is not a category" in errors[2].reason
    # Spreadsheet labels are understood: "Insurance verification", "mostly".
    assert entries[1][1].category == TaskCategory.insurance_verification


def test_semicolon_files_from_spreadsheets_read_the_same() -> None:
    semicolons = "Staff_ID;role;day;category;description;minutes;occurrences;predictability;tools\n"
    semicolons += f'fd-1;front desk;{D0};Billing;post payments;5;10;varies;"phone;EMR"\n'
    entries, errors = entries_csv.read_entries(semicolons)
    assert errors == []
    ((line, entry),) = entries
    assert (line, entry.category, entry.tools) == (2, TaskCategory.billing, ["phone", "EMR"])


def test_a_broken_header_is_reported_before_any_row() -> None:
    _, errors = entries_csv.read_entries("staff,role,day,category,description,minutes,predictability\nx\n")
    assert [(e.line, e.column) for e in errors] == [(1, "staff_id"), (1, "staff")]


async def test_a_file_with_bad_rows_is_rejected_whole(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        clinic_id = await audit.clinic("officer-a")
        opened = await audit.open_audit("officer-a", clinic_id, starts_on=START.isoformat())
        url, auth = f"/v1/audits/{opened['id']}/entries:import", audit.auth("officer-a")
        headers = auth | {"Content-Type": "text/csv"}

        for dry_run in (True, False):
            response = await audit.http.post(
                url, content=BAD_FILE, headers=headers, params={"dry_run": dry_run}
            )
            assert response.status_code == 422, response.text
            report = response.json()
            assert report["imported"] == 0
            assert report["rows"] == 5
            assert [(e["line"], e["column"]) for e in report["errors"]] == [
                (3, "day"),
                (5, "minutes"),
                (6, "category"),
            ]

        entries = await audit.http.get(f"/v1/audits/{opened['id']}/entries", headers=auth)
        assert entries.json() == []  # nothing stored, not even the good rows 2 and 4


async def test_roles_and_days_are_checked_against_the_clinic_and_window(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        opened = await audit.open_audit(
            "officer-a", await audit.clinic("officer-a"), starts_on=START.isoformat()
        )
        text = (
            HEADER
            + f"x-1,janitor,{D0},other,mop,5,1,varies,\n"
            + f"fd-1,front desk,{BEFORE},other,mop,5,1,varies,\n"
            + f"fd-1,front desk,{FUTURE},other,mop,5,1,varies,\n"
        )
        response = await audit.http.post(
            f"/v1/audits/{opened['id']}/entries:import", content=text, headers=audit.auth("officer-a")
        )
        assert response.status_code == 422
        assert response.json()["rows"] == 3
        errors = response.json()["errors"]
        assert [(e["line"], e["column"]) for e in errors] == [(2, "role"), (3, "day"), (4, "day")]
        assert "use one of: front desk, physician" in errors[0]["reason"]
        assert f"outside the audit window {D0} to {START + timedelta(days=6)}" in errors[1]["reason"]
        assert f"{FUTURE} has not happened yet" in errors[2]["reason"]


async def test_template_dry_run_then_import_of_5000_rows(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        opened = await audit.open_audit(
            "officer-a", await audit.clinic("officer-a"), starts_on=START.isoformat()
        )
        audit_id, auth = opened["id"], audit.auth("officer-a")

        template = await audit.http.get(f"/v1/audits/{audit_id}/entries:template", headers=auth)
        assert template.status_code == 200
        assert template.headers["content-type"].startswith("text/csv")
        assert f"{entries_csv.EXAMPLE_MARK}staff-01" in template.text
        # The example row is a comment: an untouched template imports nothing and says why.
        untouched = await audit.http.post(
            f"/v1/audits/{audit_id}/entries:import", content=template.text, headers=auth
        )
        assert untouched.status_code == 422, untouched.text
        assert (untouched.json()["rows"], untouched.json()["imported"]) == (0, 0)
        assert "no task rows" in untouched.json()["errors"][0]["reason"]
        # With the mark removed, the example is a valid row of the window.
        example = template.text.replace(entries_csv.EXAMPLE_MARK, "")
        example_entries, example_errors = entries_csv.read_entries(example)
        assert example_errors == [] and len(example_entries) == 1
        assert example_entries[0][1].day == START
        # Real rows below the example are imported; the example is not.
        filled = template.text + good_file(3, start=START).split("\n", 1)[1]
        filled_entries, filled_errors = entries_csv.read_entries(filled)
        assert filled_errors == [] and len(filled_entries) == 3
        assert "staff-01" not in {entry.staff_id for _, entry in filled_entries}

        text = good_file(5000, start=START)
        url = f"/v1/audits/{audit_id}/entries:import"
        dry = await audit.http.post(url, content=text, headers=auth, params={"dry_run": "true"})
        assert dry.status_code == 200, dry.text[:500]
        assert (dry.json()["rows"], dry.json()["imported"]) == (5000, 0)
        assert (await audit.http.get(f"/v1/audits/{audit_id}", headers=auth)).json()["entries"] == 0

        imported = await audit.http.post(url, content=text, headers=auth)
        assert imported.status_code == 201, imported.text[:500]
        assert (imported.json()["rows"], imported.json()["imported"]) == (5000, 5000)
        assert (await audit.http.get(f"/v1/audits/{audit_id}", headers=auth)).json()["entries"] == 5000
        first = (
            await audit.http.get(f"/v1/audits/{audit_id}/entries", headers=auth, params={"limit": 1})
        ).json()
        assert first[0]["source"] == "csv" and first[0]["tools"] == ["phone", "EMR"]


async def test_formulas_are_made_inert_on_import_and_in_the_template(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        clinic_id = await audit.clinic("officer-a")
        opened = await audit.open_audit("officer-a", clinic_id, starts_on=START.isoformat())
        audit_id, auth = opened["id"], audit.auth("officer-a")
        text = (
            HEADER
            + f"fd-1,front desk,{D0},other,\"=cmd|' /C calc'!A0\",5,1,varies,@SUM(A1:A9);phone\n"
            + f"fd-1,front desk,{D1},other,+1-555 call back,5,1,varies,\n"
            + f"fd-1,front desk,{D1},other,plain text,5,1,varies,\n"
        )
        imported = await audit.http.post(f"/v1/audits/{audit_id}/entries:import", content=text, headers=auth)
        assert imported.status_code == 201, imported.text
        stored = (await audit.http.get(f"/v1/audits/{audit_id}/entries", headers=auth)).json()
        assert [entry["description"] for entry in stored] == [
            "'=cmd|' /C calc'!A0",
            "'+1-555 call back",
            "plain text",
        ]
        assert stored[0]["tools"] == ["'@SUM(A1:A9)", "phone"]
        # A staff id cannot start like a formula either (the pseudonym rule wants a letter or digit first).
        refused = await audit.http.post(
            f"/v1/audits/{audit_id}/entries:import",
            content=HEADER + f"-2+3,front desk,{D0},other,x,5,1,varies,\n",
            headers=auth,
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["column"] == "staff_id"

    example = list(csv.reader(io.StringIO(entries_csv.template(role="=HYPERLINK(evil)", day=D0))))[1]
    assert example[1] == "'=HYPERLINK(evil)"


async def test_the_same_file_twice_is_refused_and_an_import_can_be_undone(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        clinic_id = await audit.clinic("officer-a")
        opened = await audit.open_audit("officer-a", clinic_id, starts_on=START.isoformat())
        audit_id, auth = opened["id"], audit.auth("officer-a")
        url = f"/v1/audits/{audit_id}/entries:import"
        text = good_file(40, start=START)
        other = good_file(10, start=START + timedelta(days=1))

        first = await audit.http.post(url, content=text, headers=auth)
        assert first.status_code == 201, first.text
        assert (await audit.http.post(url, content=other, headers=auth)).status_code == 201
        # Saved again by a spreadsheet (CRLF, a byte-order mark): still the same file.
        again = await audit.http.post(url, content="\ufeff" + text.replace("\n", "\r\n"), headers=auth)
        assert again.status_code == 409
        assert first.json()["import_id"] in again.json()["detail"]
        assert "undo-import" in again.json()["detail"]
        assert (await audit.http.get(f"/v1/audits/{audit_id}", headers=auth)).json()["entries"] == 50

        undo = await audit.http.delete(
            f"/v1/audits/{audit_id}/imports/{first.json()['import_id']}", headers=auth
        )
        assert undo.status_code == 200 and undo.json()["undone_at"] is not None
        assert (await audit.http.get(f"/v1/audits/{audit_id}", headers=auth)).json()["entries"] == 10
        twice = await audit.http.delete(
            f"/v1/audits/{audit_id}/imports/{first.json()['import_id']}", headers=auth
        )
        assert twice.status_code == 200  # undoing twice changes nothing
        assert (await audit.http.get(f"/v1/audits/{audit_id}", headers=auth)).json()["entries"] == 10

        # Once undone, the corrected (here: the same) file goes in again.
        assert (await audit.http.post(url, content=text, headers=auth)).status_code == 201
        assert (await audit.http.get(f"/v1/audits/{audit_id}", headers=auth)).json()["entries"] == 50
        imports = (await audit.http.get(f"/v1/audits/{audit_id}/imports", headers=auth)).json()
        assert [(item["rows"], item["undone_at"] is None) for item in imports] == [
            (40, False),
            (10, True),
            (40, True),
        ]

        unknown = await audit.http.delete(f"/v1/audits/{audit_id}/imports/{uuid.uuid4()}", headers=auth)
        assert unknown.status_code == 404
        stranger = audit.auth("officer-b")
        assert (await audit.http.get(f"/v1/audits/{audit_id}/imports", headers=stranger)).status_code == 404


async def test_entries_are_numbered_per_clinic_in_the_order_they_came(tmp_path: Path) -> None:
    """Entries are keyed by (clinic, number): each clinic counts its own, a batch in its order."""
    async with audit_app(tmp_path) as audit:
        auth = audit.auth("officer-a")
        urls = []
        for _ in range(2):
            opened = await audit.open_audit(
                "officer-a", await audit.clinic("officer-a"), starts_on=START.isoformat()
            )
            urls.append(f"/v1/audits/{opened['id']}/entries")
        first, second = urls
        batch = [entry(START, description=f"task {n}") for n in range(3)]
        for url, body in (
            (first, entry(START)),
            (second, entry(START)),
            (first, batch),
            (second, entry(START)),
        ):
            assert (await audit.http.post(url, json=body, headers=auth)).status_code == 201

        async def numbered(url: str) -> list[tuple[int, str]]:
            stored = (await audit.http.get(url, headers=auth)).json()
            return [(item["id"], item["description"]) for item in stored]

        phone = "confirm appointments by phone"
        assert await numbered(first) == [(1, phone), (2, "task 0"), (3, "task 1"), (4, "task 2")]
        assert await numbered(second) == [(1, phone), (2, phone)]
