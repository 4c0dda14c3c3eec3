"""Weekly snapshots carry the gate's week-level data: the sums behind each value, each clinician's
notes with their pilot-group membership, and whether the week is a baseline week. A plan recorded
after its pilot began gets every complete week at once. Expected sums are added up by hand."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from services.kpi import aggregate, evaluation, kpis
from services.kpi.models import KpiClinic, KpiDailyClinicianNotes, KpiSnapshotRecord
from shared import clock, db
from shared.calendar import iso_week
from shared.events.kpi import ClinicianWeek, KpiSnapshot, WeekCounts
from shared.events.partner import PartnerActivity, parse_body
from shared.events.roadmap import InitiativeApproved
from shared.outbox import OutboxMessage

W45 = date(2026, 11, 2)  # a Monday
# Clinicians as the edges hand them to kpi: keyed pseudonyms (shared.pseudonyms), never raw ids.
DR_1A, DR_2B = "fp-00000000000000000d1a", "fp-00000000000000000d2b"


def _event(clinic: uuid.UUID, day: date, event_type: str, data: dict[str, Any]) -> PartnerActivity:
    body = parse_body(f"partner.{event_type}", data)
    when = datetime(day.year, day.month, day.day, 14, tzinfo=UTC)
    return PartnerActivity(str(uuid.uuid4()), body.event_type, clinic, when, body)


def _note(
    clinic: uuid.UUID, day: date, minutes: float, staff: str | None, ai: bool = False
) -> PartnerActivity:
    data: dict[str, Any] = {"documentation_minutes": minutes, "ai_assisted": ai}
    if staff:
        data["staff_id"] = staff
    return _event(clinic, day, "note.signed", data)


def _approval(clinic: uuid.UUID, kpi: str, *, start: date, end: date, group: list[str]) -> InitiativeApproved:
    return InitiativeApproved(
        clinic_id=clinic,
        initiative_id=uuid.uuid4(),
        problem="documentation",
        owner="owner-1",
        kpi=kpi,
        baseline_start=start,
        baseline_end=end,
        target_change_pct=-20,
        pilot_group=group,
        approved_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


async def _record(
    sessions: db.SessionFactory, events: list[PartnerActivity], approval: InitiativeApproved, today: date
) -> dict[str, KpiSnapshot]:
    """Count the events, record the approval on `today` and return the snapshots it sent, by week."""
    async with sessions() as session:
        session.add(KpiClinic(id=approval.clinic_id, officer_id="officer", name="Clinic"))
        await session.commit()
        await aggregate.apply_activity_batch(session=session, activities=events)
        await session.commit()
        with clock.set_to(datetime(today.year, today.month, today.day, 9, tzinfo=UTC)):
            await evaluation.record_initiative_and_past_baseline(
                session=session, event=approval, pseudonym_secret="test-pseudonyms"
            )
        await session.commit()
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    snapshots = [
        KpiSnapshot.model_validate_json(row.payload) for row in rows if row.topic == KpiSnapshot.topic.name
    ]
    return {snapshot.week: snapshot for snapshot in snapshots}


async def test_notes_are_kept_per_clinician_and_day(kpi_sessions: db.SessionFactory) -> None:
    clinic = uuid.uuid4()
    async with kpi_sessions() as session:
        session.add(KpiClinic(id=clinic, officer_id="officer", name="Clinic"))
        await session.commit()
        batch = [
            _note(clinic, W45, 10, DR_1A),
            _note(clinic, W45, 12, DR_1A, ai=True),
            _note(clinic, W45, 4, None),
        ]
        await aggregate.apply_activity_batch(session=session, activities=batch)
        await session.commit()
        # A second batch adds to the same row.
        await aggregate.apply_activity_batch(session=session, activities=[_note(clinic, W45, 5, DR_1A)])
        await session.commit()
        rows = (await session.exec(select(KpiDailyClinicianNotes))).all()
    assert [(row.staff_id, row.day, row.notes, row.minutes, row.ai_assisted) for row in rows] == [
        (DR_1A, W45, 3, 27.0, 1)
    ]


async def test_snapshots_carry_the_weeks_sums_and_each_clinicians(kpi_sessions: db.SessionFactory) -> None:
    clinic = uuid.uuid4()
    w47 = W45 + timedelta(days=14)
    events = [
        # Baseline W45: dr-1a 10 + 12 minutes, dr-2b 9. W46 has no notes at all.
        _note(clinic, W45, 10, DR_1A),
        _note(clinic, W45 + timedelta(days=1), 12, DR_1A),
        _note(clinic, W45 + timedelta(days=4), 9, DR_2B),
        # Pilot W47: dr-1a 6 + 7 + 8 (two with the scribe), dr-2b 11, and a note naming nobody (5).
        _note(clinic, w47, 6, DR_1A, ai=True),
        _note(clinic, w47, 7, DR_1A, ai=True),
        _note(clinic, w47 + timedelta(days=6), 8, DR_1A),
        _note(clinic, w47 + timedelta(days=2), 11, DR_2B, ai=True),
        _note(clinic, w47 + timedelta(days=3), 5, None),
    ]
    approval = _approval(
        clinic, "documentation_minutes_per_note", start=W45, end=W45 + timedelta(days=13), group=[DR_1A]
    )
    sent = await _record(kpi_sessions, events, approval, today=W45 + timedelta(days=21))  # W48's Monday

    assert sorted(sent) == ["2026-W45", "2026-W47"]  # W46: a baseline week without data waits
    baseline, pilot = sent["2026-W45"], sent["2026-W47"]
    assert baseline.baseline_week and not pilot.baseline_week
    assert baseline.counts == WeekCounts(events=31, total=3)
    assert baseline.value == pytest.approx(31 / 3)
    assert baseline.clinicians == [
        ClinicianWeek(staff_id=DR_1A, pilot=True, events=22, total=2),
        ClinicianWeek(staff_id=DR_2B, pilot=False, events=9, total=1),
    ]
    assert pilot.counts == WeekCounts(events=37, total=5)
    assert pilot.value == pytest.approx(37 / 5)
    assert pilot.clinicians == [
        ClinicianWeek(staff_id=DR_1A, pilot=True, events=21, total=3),
        ClinicianWeek(staff_id=DR_2B, pilot=False, events=11, total=1),
    ]
    async with kpi_sessions() as session:
        record = await session.get(
            KpiSnapshotRecord, (approval.clinic_id, approval.initiative_id, "2026-W47")
        )
    assert record is not None and (record.events, record.total, record.baseline_week) == (37, 5, False)


def test_the_ai_share_per_clinician_and_kpis_without_clinicians() -> None:
    data = kpis.PeriodData()
    data.staff_notes[DR_2B].add(kpis.NoteSums(notes=4, minutes=30, ai_assisted=1))
    data.staff_notes[DR_1A].add(kpis.NoteSums(notes=2, minutes=10, ai_assisted=2))
    data.staff_notes["dr-3c"]  # a clinician seen without notes is left out
    share = kpis.definition("ai_assisted_note_share")
    assert kpis.clinician_weeks(share, data, pilot_group=[DR_2B]) == [
        ClinicianWeek(staff_id=DR_1A, pilot=False, events=2, total=2),
        ClinicianWeek(staff_id=DR_2B, pilot=True, events=1, total=4),
    ]
    assert kpis.clinician_weeks(kpis.definition("missed_call_rate"), data, pilot_group=[DR_2B]) == []
    # Medians and staff KPIs have no sums behind them.
    assert kpis.week_counts(kpis.definition("median_message_response_minutes"), data) is None
    assert kpis.week_counts(kpis.definition("ai_weekly_active_staff"), data) is None


def _calls(clinic: uuid.UUID, monday: date, answered: int, missed: int) -> list[PartnerActivity]:
    return [
        *(
            _event(clinic, monday + timedelta(days=n % 5), "call.answered", {"wait_seconds": 5})
            for n in range(answered)
        ),
        *(
            _event(clinic, monday + timedelta(days=n % 5), "call.missed", {"wait_seconds": 50})
            for n in range(missed)
        ),
    ]


async def test_a_plan_whose_pilot_began_weeks_ago_gets_every_complete_week_at_once(
    kpi_sessions: db.SessionFactory,
) -> None:
    assert evaluation.CATCH_UP_WEEKS == 26
    clinic = uuid.uuid4()
    # Baseline: the 4 whole weeks before a pilot that began 6 weeks before today (W51's Monday).
    pilot_start = W45 + timedelta(weeks=4)
    today = pilot_start + timedelta(weeks=6)
    events = [
        event
        for week in range(10)
        for event in _calls(clinic, W45 + timedelta(weeks=week), answered=20, missed=10 - week)
    ]
    events += _calls(clinic, today, answered=3, missed=3)  # this week's calls: not complete, not sent
    approval = _approval(
        clinic, "missed_call_rate", start=W45, end=pilot_start - timedelta(days=1), group=[DR_1A]
    )
    sent = await _record(kpi_sessions, events, approval, today=today)

    assert list(sent) == [iso_week(W45 + timedelta(weeks=week)) for week in range(10)]
    assert [snapshot.baseline_week for snapshot in sent.values()] == [True] * 4 + [False] * 6
    # Week k: 10 - k missed of 30 - k calls; the baseline pools weeks 0-3: 34 of 114.
    for week, snapshot in enumerate(sent.values()):
        assert snapshot.counts == WeekCounts(events=10 - week, total=30 - week)
        assert snapshot.value == pytest.approx((10 - week) / (30 - week))
        assert snapshot.baseline == pytest.approx(34 / 114)
        assert snapshot.clinicians == []  # calls name no clinician


async def test_a_lagged_kpi_sends_a_week_only_once_it_is_final(kpi_sessions: db.SessionFactory) -> None:
    clinic = uuid.uuid4()
    events = [_event(clinic, W45 + timedelta(weeks=week), "referral.sent", {}) for week in range(8)]
    approval = _approval(
        clinic, "referral_completion_rate", start=W45, end=W45 + timedelta(days=13), group=[DR_1A]
    )
    # As of W53's Monday (12-28) the weeks up to W52 are complete; W45 to W47 have 5 complete weeks since.
    sent = await _record(kpi_sessions, events, approval, today=date(2026, 12, 28))
    assert sorted(sent) == ["2026-W45", "2026-W46", "2026-W47"]
