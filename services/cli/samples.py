"""Sample data for a walk-through: a plausible week of task logs, a few weeks of partner events.

Only pseudonymous staff ids, counts and durations: nothing here describes a patient.
"""

import csv
import io
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shared import clock

CSV_COLUMNS = (
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
# (category, description, minutes, occurrences a day, predictability, tools): what front-office
# staff log in the method's audits, phone work first.
TASKS = (
    ("appointment_scheduling", "confirm tomorrow's appointments by phone", 4, 25, "always_same", "phone"),
    ("follow_up_calls", "return missed calls from the voicemail list", 5, 12, "mostly_same", "phone"),
    ("insurance_verification", "verify coverage before visits", 6, 15, "always_same", "payer portal"),
    ("documentation", "write visit notes after clinic hours", 8, 10, "mostly_same", "EMR"),
    ("patient_communication", "answer portal messages", 4, 14, "mostly_same", "EMR;portal"),
    ("referral_coordination", "fax referrals and chase answers", 10, 4, "varies", "fax;phone"),
    ("billing", "post payments and fix denied claims", 7, 6, "mostly_same", "billing system"),
)


def task_log_csv(*, headcounts: dict[str, int], days: list[date]) -> str:
    """A filled-in audit spreadsheet: everyone of every role logs the tasks above on each day.

    Staff ids are the role's number and the member's: staff-101 is the first of the first role.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    randomness = random.Random(7)  # noqa: S311 - sample data, not security
    for role_number, (role, headcount) in enumerate(headcounts.items(), start=1):
        for member in range(1, headcount + 1):
            staff_id = f"staff-{role_number}{member:02d}"
            for day in days:
                for category, description, minutes, occurrences, predictability, tools in TASKS:
                    count = max(1, occurrences + randomness.randint(-3, 3))
                    writer.writerow(
                        (
                            staff_id,
                            role,
                            day.isoformat(),
                            category,
                            description,
                            minutes,
                            count,
                            predictability,
                            tools,
                        )
                    )
    return buffer.getvalue()


def partner_events(
    *, clinic_id: str, clinicians: list[str], weeks: int, today: date
) -> Iterator[dict[str, Any]]:
    """A clinic's operational events over the past weeks, as structured CloudEvents from a partner."""
    randomness = random.Random(clinic_id)  # noqa: S311 - sample data, not security
    start = today - timedelta(weeks=weeks)
    now = clock.now()
    for offset in range((today - start).days + 1):
        day = start + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        progress = offset / max(1, (today - start).days)  # things improve as the pilot goes on

        def event(kind: str, hour: int, data: dict[str, Any], *, on: date = day) -> dict[str, Any] | None:
            moment = datetime.combine(on, time(hour, randomness.randint(0, 59)), tzinfo=UTC)
            if moment > now:
                return None  # never an event from the future
            return {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "type": f"partner.{kind}",
                "time": moment.isoformat(),
                "subject": clinic_id,
                "data": data,
            }

        drafts: list[dict[str, Any] | None] = []
        for _ in range(30):
            missed = randomness.random() < 0.29 - 0.15 * progress
            kind = "call.missed" if missed else "call.answered"
            drafts.append(
                event(kind, randomness.randint(8, 17), {"wait_seconds": randomness.randint(5, 240)})
            )
        for _ in range(10):
            drafts.append(event("appointment.requested", randomness.randint(8, 17), {"channel": "phone"}))
            if randomness.random() < 0.6 + 0.2 * progress:
                drafts.append(event("appointment.booked", randomness.randint(8, 17), {"channel": "phone"}))
        for clinician in clinicians:
            assisted = randomness.random() < 0.3 + 0.5 * progress
            minutes = round(randomness.uniform(4, 9) * (0.8 if assisted else 1.0), 1)
            data = {"documentation_minutes": minutes, "ai_assisted": assisted, "staff_id": clinician}
            drafts.append(event("note.signed", randomness.randint(9, 18), data))
            if assisted:
                session = {
                    "staff_id": clinician,
                    "tool": "ambient-scribe",
                    "minutes": randomness.randint(5, 40),
                }
                drafts.append(event("ai_tool.session", randomness.randint(9, 18), session))
        for _ in range(6):
            drafts.append(event("message.received", randomness.randint(8, 17), {"channel": "portal"}))
            answer = {"response_minutes": randomness.randint(10, 600), "channel": "portal"}
            drafts.append(event("message.answered", randomness.randint(8, 17), answer))
        yield from (draft for draft in drafts if draft is not None)
