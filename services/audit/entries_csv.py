"""The task log as a spreadsheet: the template practices fill, and reading it back row by row.

Reading never stops at the first problem: every bad row is reported by line number, column
and reason, so the practice fixes the file in one pass. A row whose first cell starts with
`#` is a comment: the template's example is one, so it is never imported as a task.
Whether to store anything is the caller's decision (the import is all-or-nothing).
"""

import csv
import hashlib
import io
from collections.abc import Iterable
from datetime import date, timedelta

from pydantic import ValidationError

from services.audit.models import EntryCreate, Predictability, RowError, TaskCategory
from shared.spreadsheets import neutralise_formula

COLUMNS = (
    "staff_id",
    "role",
    "day",
    "category",
    "description",
    "minutes",
    "occurrences",
    "predictability",
    "tools",
)
REQUIRED_COLUMNS = frozenset(COLUMNS) - {"occurrences", "tools"}
MAX_ROWS = 50_000
TOOL_SEPARATOR = ";"
COMMENT = "#"
EXAMPLE_MARK = f"{COMMENT} example, skipped on import: "
DELIMITERS = (",", ";", "\t")

# Spreadsheet users write labels, not identifiers: accept both, case-insensitively.
CATEGORY_ALIASES: dict[str, TaskCategory] = {
    **{category.value: category for category in TaskCategory},
    **{category.value.replace("_", " "): category for category in TaskCategory},
    "scheduling": TaskCategory.appointment_scheduling,
    "admin": TaskCategory.internal_admin,
}
PREDICTABILITY_ALIASES: dict[str, Predictability] = {
    **{level.value: level for level in Predictability},
    **{level.value.replace("_", " "): level for level in Predictability},
    "always": Predictability.always_same,
    "always the same": Predictability.always_same,
    "mostly": Predictability.mostly_same,
    "mostly the same": Predictability.mostly_same,
    "vary": Predictability.varies,
}


class RowProblems(Exception):
    """Raised by a row check: the problems of one row."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{column}: {reason}" for column, reason in problems))
        self.problems = problems


def template(*, role: str, day: date) -> str:
    """The CSV template: the header and one example row, marked as a comment (never imported)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    example = [
        f"{EXAMPLE_MARK}staff-01",
        role,
        day.isoformat(),
        TaskCategory.appointment_scheduling.value,
        "confirm tomorrow's appointments by phone",
        "4",
        "25",
        Predictability.always_same.value,
        f"phone{TOOL_SEPARATOR}scheduling system",
    ]
    writer.writerow([neutralise_formula(cell) for cell in example])  # the role comes from the profile
    return buffer.getvalue()


def content_hash(text: str) -> str:
    """The file's fingerprint, blind to what spreadsheets change when they save it again
    (byte-order mark, line endings, trailing blank lines)."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")
    return hashlib.sha256("\n".join(line.rstrip() for line in lines).encode()).hexdigest()


def _normalised(value: str) -> str:
    return " ".join(value.strip().lower().replace("-", " ").split())


def _whole_number(value: str, *, minimum: int) -> tuple[int | None, str | None]:
    try:
        number = int(value.strip())
    except ValueError:
        return None, f"'{value}' is not a whole number"
    if number < minimum:
        return None, f"must be at least {minimum} (got {number})"
    return number, None


def parse_row(raw: dict[str, str]) -> EntryCreate:
    """One spreadsheet row as an entry, or RowProblems naming each bad column."""
    problems: list[tuple[str, str]] = []
    values: dict[str, object] = {
        "staff_id": raw.get("staff_id", ""),
        "role": raw.get("role", ""),
        "description": raw.get("description", ""),
    }

    day_text = raw.get("day", "").strip()
    try:
        values["day"] = date.fromisoformat(day_text)
    except ValueError:
        problems.append(("day", f"'{day_text}' is not a date; use YYYY-MM-DD"))

    category = CATEGORY_ALIASES.get(_normalised(raw.get("category", "")))
    if category is None:
        problems.append(
            (
                "category",
                f"'{raw.get('category', '')}' is not a category; use one of: "
                + ", ".join(c.value for c in TaskCategory),
            )
        )
    values["category"] = category

    predictability = PREDICTABILITY_ALIASES.get(_normalised(raw.get("predictability", "")))
    if predictability is None:
        problems.append(
            (
                "predictability",
                f"'{raw.get('predictability', '')}' is not a predictability; "
                "use always_same, mostly_same or varies",
            )
        )
    values["predictability"] = predictability

    minutes, problem = _whole_number(raw.get("minutes", ""), minimum=1)
    if problem:
        problems.append(("minutes", problem))
    values["minutes"] = minutes
    occurrences_text = raw.get("occurrences", "").strip() or "1"
    occurrences, problem = _whole_number(occurrences_text, minimum=1)
    if problem:
        problems.append(("occurrences", problem))
    values["occurrences"] = occurrences
    values["tools"] = (raw.get("tools") or "").split(TOOL_SEPARATOR)

    already_reported = {column for column, _ in problems}
    try:
        entry = EntryCreate.model_validate(values)
    except ValidationError as error:
        for item in error.errors():
            column = str(item["loc"][0]) if item["loc"] else "row"
            if column not in already_reported:
                problems.append((column, item["msg"]))
                already_reported.add(column)
    if problems:
        raise RowProblems(problems)
    return entry


def _header_errors(header: list[str]) -> list[RowError]:
    if not header:
        return [RowError(line=1, column="row", reason="the file is empty; start from the template")]
    errors = [
        RowError(line=1, column=column, reason="the column appears more than once")
        for column in sorted({name for name in header if header.count(name) > 1})
    ]
    errors.extend(
        RowError(line=1, column=column, reason="required column is missing from the header")
        for column in sorted(REQUIRED_COLUMNS - set(header))
    )
    errors.extend(
        RowError(line=1, column=column, reason="unknown column; expected " + ", ".join(COLUMNS))
        for column in header
        if column not in COLUMNS
    )
    return errors


def read_entries(text: str) -> tuple[list[tuple[int, EntryCreate]], list[RowError]]:
    """Every good row (with its line number) and every problem of a CSV file."""
    text = text.lstrip("\ufeff")
    # Spreadsheets in many locales save CSV with semicolons (or tabs): the header tells which.
    first_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count)
    reader = csv.DictReader(io.StringIO(text), restkey="__extra__", delimiter=delimiter)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    reader.fieldnames = header
    errors = _header_errors(header)
    if errors:
        return [], errors

    entries: list[tuple[int, EntryCreate]] = []
    rows = 0
    try:
        for raw in reader:
            line = reader.line_num
            values = {key: value for key, value in raw.items() if key != "__extra__"}
            if all(not (value or "").strip() for value in values.values()) and "__extra__" not in raw:
                continue  # blank line
            if (raw.get(header[0]) or "").lstrip().startswith(COMMENT):
                continue  # a comment, such as the template's example
            rows += 1
            if rows > MAX_ROWS:
                errors.append(
                    RowError(line=line, column="row", reason=f"more than {MAX_ROWS} rows; split the file")
                )
                break
            if "__extra__" in raw:
                errors.append(
                    RowError(line=line, column="row", reason="more cells than columns in the header")
                )
                continue
            try:
                entries.append((line, parse_row({k: v or "" for k, v in values.items()})))
            except RowProblems as problems:
                errors.extend(
                    RowError(line=line, column=column, reason=reason) for column, reason in problems.problems
                )
    except csv.Error as error:
        errors.append(RowError(line=reader.line_num, column="row", reason=f"not readable as CSV: {error}"))
    if rows == 0 and not errors:
        errors.append(
            RowError(
                line=1,  # about the file, not a row of it
                column="row",
                reason="no task rows: add one row per task and day under the header "
                f"(rows starting with {COMMENT}, like the template's example, are skipped)",
            )
        )
    return entries, errors


def check_against_window(
    entries: Iterable[tuple[int, EntryCreate]],
    *,
    roles: dict[str, str],
    starts_on: date,
    ends_on: date,
    today: date,
) -> tuple[list[EntryCreate], list[RowError]]:
    """Entries whose role is in the clinic profile and whose day is in the window and already
    lived, role names spelled as in the profile; and the problems of the others."""
    # A day counts as lived one day ahead of UTC: a clinic east of UTC is already there.
    last_lived = today + timedelta(days=1)
    accepted: list[EntryCreate] = []
    errors: list[RowError] = []
    for line, entry in entries:
        problems = []
        role = roles.get(" ".join(entry.role.lower().split()))
        if role is None:
            problems.append(
                RowError(
                    line=line,
                    column="role",
                    reason=f"'{entry.role}' is not a role of this clinic; use one of: "
                    + (", ".join(sorted(roles.values())) or "(the clinic profile lists no roles)"),
                )
            )
        if entry.day > last_lived:
            problems.append(
                RowError(
                    line=line,
                    column="day",
                    reason=f"{entry.day} has not happened yet: log a task on the day it was done, or later",
                )
            )
        elif not starts_on <= entry.day <= ends_on:
            problems.append(
                RowError(
                    line=line,
                    column="day",
                    reason=f"{entry.day} is outside the audit window {starts_on} to {ends_on}",
                )
            )
        if problems:
            errors.extend(problems)
        else:
            accepted.append(entry.model_copy(update={"role": role}))
    return accepted, errors
