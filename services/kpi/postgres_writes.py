"""kpi's hot writes on PostgreSQL, set-based: one statement per table per batch.

The same writes as SQLite's JSON path (services.kpi.aggregate, services.kpi.receipts): each
statement binds one array per column and PostgreSQL expands them itself (unnest), so a batch
of thousands of rows is one round trip per table, never a row at a time. asyncpg sends the
arrays in its binary format: no JSON to build or parse.
"""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.partitions import MONTHS

CounterKey = tuple[int, date, str]  # (clinic id as an int, day, name), as services.kpi.aggregate

_ADD_COUNTERS = text(
    "INSERT INTO kpi_daily_counter (clinic_id, day, name, value) "
    "SELECT * FROM unnest(CAST(:clinics AS uuid[]), CAST(:days AS date[]), CAST(:names AS text[]), "
    "CAST(:values AS float8[])) "
    "ON CONFLICT (clinic_id, day, name) DO UPDATE SET value = kpi_daily_counter.value + excluded.value"
)
_ADD_STAFF = text(
    "INSERT INTO kpi_daily_staff (clinic_id, day, staff_id, minutes, sessions) "
    "SELECT * FROM unnest(CAST(:clinics AS uuid[]), CAST(:days AS date[]), CAST(:staff AS text[]), "
    "CAST(:minutes AS float8[]), CAST(:sessions AS int[])) "
    "ON CONFLICT (clinic_id, day, staff_id) DO UPDATE SET "
    "minutes = kpi_daily_staff.minutes + excluded.minutes, "
    "sessions = kpi_daily_staff.sessions + excluded.sessions"
)
_ADD_NOTES = text(
    "INSERT INTO kpi_daily_clinician_notes (clinic_id, day, staff_id, notes, minutes, ai_assisted) "
    "SELECT * FROM unnest(CAST(:clinics AS uuid[]), CAST(:days AS date[]), CAST(:staff AS text[]), "
    "CAST(:notes AS int[]), CAST(:minutes AS float8[]), CAST(:ai AS int[])) "
    "ON CONFLICT (clinic_id, day, staff_id) DO UPDATE SET "
    "notes = kpi_daily_clinician_notes.notes + excluded.notes, "
    "minutes = kpi_daily_clinician_notes.minutes + excluded.minutes, "
    "ai_assisted = kpi_daily_clinician_notes.ai_assisted + excluded.ai_assisted"
)
_RECEIPTS = text(
    "INSERT INTO kpi_partner_event_receipt (officer_id, partner_id, event_id, received_at) "
    "SELECT * FROM unnest(CAST(:officers AS text[]), CAST(:partners AS uuid[]), CAST(:ids AS text[]), "
    "CAST(:times AS timestamptz[])) "
    "ON CONFLICT DO NOTHING RETURNING partner_id, event_id"
)


class PostgresStore:
    """Daily aggregates of a batch of partner events, one statement per table (inbox: shared.inbox)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        counters: dict[CounterKey, float],
        staff: dict[CounterKey, list[float]],
        notes: dict[CounterKey, list[float]],
    ) -> None:
        # The months' partitions first, in their own transaction (services.kpi.partitions).
        bind = self.session.bind
        assert isinstance(bind, AsyncEngine), bind
        await MONTHS.ensure(bind, {day for keys in (counters, staff, notes) for _, day, _ in keys})
        uuids: dict[int, UUID] = {}

        def clinic(number: int) -> UUID:
            found = uuids.get(number)
            if found is None:
                found = uuids[number] = UUID(int=number)
            return found

        await (await self.session.connection()).execute(
            _ADD_COUNTERS,
            {
                "clinics": [clinic(c) for c, _, _ in counters],
                "days": [d for _, d, _ in counters],
                "names": [n for _, _, n in counters],
                "values": list(counters.values()),
            },
        )
        if staff:
            await (await self.session.connection()).execute(
                _ADD_STAFF,
                {
                    "clinics": [clinic(c) for c, _, _ in staff],
                    "days": [d for _, d, _ in staff],
                    "staff": [s for _, _, s in staff],
                    "minutes": [float(m) for m, _ in staff.values()],
                    "sessions": [int(n) for _, n in staff.values()],
                },
            )
        if notes:
            await (await self.session.connection()).execute(
                _ADD_NOTES,
                {
                    "clinics": [clinic(c) for c, _, _ in notes],
                    "days": [d for _, d, _ in notes],
                    "staff": [s for _, _, s in notes],
                    "notes": [int(n) for n, _, _ in notes.values()],
                    "minutes": [float(m) for _, m, _ in notes.values()],
                    "ai": [int(a) for _, _, a in notes.values()],
                },
            )


async def record_receipts(
    session: AsyncSession, rows: list[tuple[str, UUID, str, datetime]]
) -> set[tuple[UUID, str]]:
    """Insert a receipt per (officer, partner, event id, received at); return the (partner, event id)
    pairs not received before."""
    if not rows:
        return set()
    partners = {str(partner): partner for _, partner, _, _ in rows}
    parameters: dict[str, Any] = {
        "officers": [officer for officer, _, _, _ in rows],
        "partners": [partner for _, partner, _, _ in rows],
        "ids": [event_id for _, _, event_id, _ in rows],
        "times": [received_at for _, _, _, received_at in rows],
    }
    result = await (await session.connection()).execute(_RECEIPTS, parameters)
    # asyncpg returns its own UUID type: mapped back to the caller's objects by their text.
    return {(partners[str(partner)], event_id) for partner, event_id in result}
