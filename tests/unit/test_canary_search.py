"""The canary search can fail: canaries planted in a database file, a log, a span and a whole pytest
run are each found. (Planted outside this run's own directory, or taken back, so the run stays clean.)"""

import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider

from shared.pseudonyms import pseudonym_for, pseudonym_problem
from tests import canaries

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def elsewhere() -> Iterator[Path]:
    """A directory outside this run's temporary directory (which the end-of-run search covers)."""
    with tempfile.TemporaryDirectory(prefix="faio-canary-plant-") as directory:
        yield Path(directory)


def test_every_canary_is_recognised_and_ordinary_text_is_not() -> None:
    for canary in canaries.CANARIES:
        assert canaries.found_in(canary), canary
    ordinary = "pilot staff asked to keep it; 14 visits; dr-7f3a; 2026-11-20T10:00:00+00:00; 5c0d3e4839"
    assert canaries.found_in(ordinary) == []


def test_the_raw_partner_staff_id_is_a_canary_and_its_keyed_form_is_not() -> None:
    assert pseudonym_problem(canaries.PARTNER_STAFF_ID) is None  # the front door takes it
    assert canaries.found_in(f'{{"staff_id": "{canaries.PARTNER_STAFF_ID}"}}') == [canaries.PARTNER_STAFF_ID]
    keyed = pseudonym_for(canaries.PARTNER_STAFF_ID, clinic_id=uuid.uuid4(), secret="test")
    assert canaries.found_in(keyed) == []


def test_a_canary_in_a_sqlite_database_is_found_and_a_clean_one_is_not(elsewhere: Path) -> None:
    clean, planted = elsewhere / "clean.db", elsewhere / "planted.db"
    for path, note in ((clean, "two sites, one EMR"), (planted, canaries.MRN)):
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, note TEXT)")
            connection.executemany("INSERT INTO notes (note) VALUES (?)", [("x" * 500,)] * 50 + [(note,)])
    found = canaries.scan_files([elsewhere])
    assert found == [canaries.Finding(f"file {planted}", "MRN 4839201")]


def test_a_canary_across_two_chunks_is_found(elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(canaries, "CHUNK", 64)
    path = elsewhere / "segment.log"
    path.write_bytes(b"\0" * 60 + canaries.PHONE.encode() + b"\0" * 100)
    assert [finding.canary for finding in canaries.scan_file(path)] == ["415-555-0132"]


def test_a_canary_in_captured_logs_or_a_span_is_found() -> None:
    sections = [("Captured log call", "INFO refused\nWARNING note: " + canaries.EMAIL)]
    (finding,) = canaries.scan_sections("tests/x.py::test_y", sections)
    assert finding.canary == "jane.doe.canary@" and "Captured log call of tests/x.py::test_y" in finding.where

    before = len(canaries.FOUND)
    provider = TracerProvider()
    provider.add_span_processor(canaries.SpanSearch())
    try:
        with provider.get_tracer("test").start_as_current_span("POST /v1/clinics") as span:
            span.set_attribute("note", canaries.NAME_AND_DOB)
        planted = canaries.FOUND[before:]
        assert {finding.canary for finding in planted} == {"Jane Doe DOB", "04/12/1961"}
        assert all(finding.where == "span POST /v1/clinics" for finding in planted)
    finally:
        del canaries.FOUND[before:]  # taken back: this run's own search must stay clean


def test_a_run_that_leaves_a_canary_behind_fails(elsewhere: Path) -> None:
    """A whole pytest run with the suite's hooks (tests/conftest.py as a plugin), whose one passing test
    leaves a canary in a file of its temporary directory: the run fails and says why."""
    (elsewhere / "test_leaves_a_canary.py").write_text(
        "from tests.canaries import PHONE\n\n\n"
        "def test_stores_a_note(tmp_path):\n"
        "    (tmp_path / 'service.db').write_text(PHONE)\n"
    )
    (elsewhere / "test_leaves_nothing.py").write_text(
        "def test_fine(tmp_path):\n    assert tmp_path.exists()\n"
    )

    def run(test_file: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-q", "-p", "no:cacheprovider"]
        return subprocess.run(
            [*command, str(elsewhere / test_file)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    planted, clean = run("test_leaves_a_canary.py"), run("test_leaves_nothing.py")
    # The output names the canary it found: only its verdict is read here, never printed.
    assert planted.returncode == 1 and "1 passed" in planted.stdout
    assert "patient-data canaries found" in planted.stdout
    assert clean.returncode == 0 and "patient-data canaries found" not in clean.stdout
