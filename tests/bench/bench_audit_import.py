"""How fast a task-log spreadsheet imports: `python -m tests.bench.bench_audit_import`.

Prints rows/s for the full HTTP import (read, validate every row, check roles and days,
one multi-row INSERT, commit) against two baselines measured in the same run: the csv module
alone (the floor: only reading cells) and reading + validating without storing (a dry run).
"""

import asyncio
import csv
import logging
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.audit import entries_csv
from tests.unit.test_audit_api import audit_app
from tests.unit.test_audit_csv import good_file

SIZES = (5_000, 20_000)
START = datetime.now(UTC).date() - timedelta(days=2)  # entries are for days already lived


def timed(action: object) -> float:
    began = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - began


async def http_import(rows: int, text: str, *, dry_run: bool) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        async with audit_app(Path(scratch)) as audit:
            opened = await audit.open_audit(
                "officer-bench", await audit.clinic("officer-bench"), starts_on=START.isoformat()
            )
            began = time.perf_counter()
            response = await audit.http.post(
                f"/v1/audits/{opened['id']}/entries:import",
                content=text,
                headers=audit.auth("officer-bench"),
                params={"dry_run": dry_run},
            )
            elapsed = time.perf_counter() - began
            assert response.status_code == (200 if dry_run else 201), response.text[:300]
            assert response.json()["rows"] == rows
            return elapsed


async def main() -> None:
    logging.getLogger("opentelemetry").setLevel(logging.ERROR)  # one app per run re-instruments
    print(f"{'rows':>7} {'csv only':>12} {'validate':>12} {'dry run':>12} {'import':>12}  import vs csv only")
    for rows in SIZES:
        text = good_file(rows, start=START)
        floor = timed(lambda: len(list(csv.reader(text.splitlines()))))  # noqa: B023
        validate = timed(lambda: entries_csv.read_entries(text))  # noqa: B023
        dry = await http_import(rows, text, dry_run=True)
        full = await http_import(rows, text, dry_run=False)
        print(
            f"{rows:>7} "
            + " ".join(f"{rows / seconds:>8,.0f} r/s" for seconds in (floor, validate, dry, full))
            + f"  {full / floor:,.0f}x slower ({full:.2f} s for the import)"
        )


if __name__ == "__main__":
    asyncio.run(main())
