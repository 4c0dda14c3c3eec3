"""A clinic's partner feeds and AI use in the portal (kpi.clinic.activity): the last event seen and
quiet feeds colour the "Partner feed" column and fill Today; the AI-assisted share of notes makes
the adoption trend."""

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.portal.officer.models import PortalDismissal
from services.portal.pages import portfolio, rules, today
from services.portal.pages.activity import adoption_values
from services.portal.read_model import projection
from services.portal.read_model.activity import record_activity
from services.portal.read_model.models import PortalClinicActivity
from shared import db
from shared.events.intake import ClinicRegistered
from shared.events.kpi import AdoptionWeek, ClinicActivity, FeedHealth

NOW = datetime(2026, 11, 27, 15, tzinfo=UTC)
TODAY = NOW.date()


def activity(
    clinic_id: UUID, *, as_of: date, last_call: date, calls_quiet: bool, ai_assisted: list[int]
) -> ClinicActivity:
    weeks = [f"2026-W{40 + index}" for index in range(len(ai_assisted))]
    return ClinicActivity(
        clinic_id=clinic_id,
        as_of=as_of,
        last_event_day=last_call,
        feeds=[
            FeedHealth(
                feed="calls",
                last_event_day=last_call,
                events_last_7_days=0 if calls_quiet else 35,
                usual_events_per_day=5,
                stale=calls_quiet,
            )
        ],
        adoption=[
            AdoptionWeek(week=week, notes_signed=80, notes_ai_assisted=assisted, ai_active_staff=3)
            for week, assisted in zip(weeks, ai_assisted, strict=True)
        ],
    )


def test_the_feed_colour_follows_the_written_rule() -> None:
    assert rules.feed_health(None, [], today=TODAY) == rules.FeedHealth("grey", None)
    assert rules.feed_health(TODAY, [], today=TODAY).label == "last event today"
    assert rules.feed_health(TODAY - timedelta(days=1), [], today=TODAY).colour == "green"
    assert rules.feed_health(TODAY - timedelta(days=2), [], today=TODAY).colour == "amber"
    assert rules.feed_health(TODAY - timedelta(days=6), [], today=TODAY).colour == "amber"
    assert rules.feed_health(TODAY - timedelta(days=7), [], today=TODAY).colour == "red"
    quiet = rules.feed_health(TODAY, ["calls"], today=TODAY)  # another feed sent today, the phones did not
    assert (quiet.colour, quiet.label) == ("red", "last event today; calls quiet")


def test_adoption_is_the_ai_share_of_notes_or_else_the_staff_using_ai() -> None:
    assert adoption_values([["2026-W40", 80, 20, 3], ["2026-W41", 0, 0, 2]]) == [0.25, None]
    assert adoption_values([["2026-W40", 0, 0, 3], ["2026-W41", 0, 0, 5]]) == [3.0, 5.0]
    assert adoption_values([["2026-W40", 0, 0, 0]]) == []


async def test_a_late_older_activity_changes_nothing(portal_sessions: db.SessionFactory) -> None:
    clinic_id = uuid4()
    newer = activity(clinic_id, as_of=TODAY, last_call=TODAY, calls_quiet=False, ai_assisted=[40])
    older = activity(
        clinic_id,
        as_of=TODAY - timedelta(days=1),
        last_call=TODAY - timedelta(days=9),
        calls_quiet=True,
        ai_assisted=[9],
    )
    async with portal_sessions() as session:
        await record_activity(session=session, event=newer)
        await record_activity(session=session, event=older)
        await session.commit()
        row = await session.get(PortalClinicActivity, clinic_id)
    assert row is not None
    assert (row.as_of, row.last_event_day, row.adoption) == (TODAY, TODAY, [["2026-W40", 80, 40, 3, None]])


async def test_a_quiet_feed_and_falling_ai_use_show_in_the_portfolio_and_on_today(
    portal_sessions: db.SessionFactory,
) -> None:
    steady, fading = uuid4(), uuid4()
    shares = [48, 52, 30, 26]  # AI-assisted notes of 80: the last two weeks against the two before
    async with portal_sessions() as session:
        for clinic_id, name in ((steady, "Harbor"), (fading, "Lakeside")):
            await projection.record_clinic(
                session=session,
                event=ClinicRegistered(
                    clinic_id=clinic_id,
                    officer_id="officer-a",
                    name=name,
                    specialty="pediatrics",
                    locations=1,
                ),
                event_time=NOW - timedelta(days=60),
            )
        await record_activity(
            session=session,
            event=activity(
                steady, as_of=TODAY, last_call=TODAY, calls_quiet=False, ai_assisted=[40, 40, 41, 40]
            ),
        )
        await record_activity(
            session=session,
            event=activity(
                fading, as_of=TODAY, last_call=TODAY - timedelta(days=4), calls_quiet=True, ai_assisted=shares
            ),
        )
        await session.commit()
        rows, _ = await portfolio.portfolio(
            session=session, officer_id="officer-a", filters=portfolio.Filters(), now=NOW
        )
        listed = await today.today(session=session, officer_id="officer-a", now=NOW)

    by_name = {row.name: row for row in rows}
    assert [row.name for row in rows] == ["Lakeside", "Harbor"]  # most in need first
    lakeside = by_name["Lakeside"]
    assert (lakeside.feed.colour, lakeside.feed.label) == ("red", "last event 4 days ago; calls quiet")
    expected_change = ((30 + 26) / 2 - (48 + 52) / 2) / ((48 + 52) / 2) * 100
    assert lakeside.adoption == "down"
    assert lakeside.adoption_change_pct == pytest.approx(expected_change)
    assert "adoption falling" in lakeside.reasons
    assert any(reason.startswith("partner feed quiet") for reason in lakeside.reasons)
    assert (by_name["Harbor"].feed.colour, by_name["Harbor"].adoption) == ("green", "steady")
    assert [(item.clinic_name, item.title) for item in listed.quiet_feeds] == [
        ("Lakeside", "Partner feed quiet")
    ]


async def test_a_dismissed_quiet_feed_stays_off_today_until_it_goes_quiet_again(
    portal_sessions: db.SessionFactory,
) -> None:
    clinic_id = uuid4()
    quiet_since = TODAY - timedelta(days=4)
    async with portal_sessions() as session:
        await projection.record_clinic(
            session=session,
            event=ClinicRegistered(
                clinic_id=clinic_id,
                officer_id="officer-a",
                name="Lakeside",
                specialty="pediatrics",
                locations=1,
            ),
            event_time=NOW - timedelta(days=60),
        )
        await record_activity(
            session=session,
            event=activity(clinic_id, as_of=TODAY, last_call=quiet_since, calls_quiet=True, ai_assisted=[40]),
        )
        await session.commit()
        [item] = (await today.today(session=session, officer_id="officer-a", now=NOW)).quiet_feeds
        session.add(PortalDismissal(officer_id="officer-a", item_key=item.key))
        await session.commit()
        assert (await today.today(session=session, officer_id="officer-a", now=NOW)).quiet_feeds == []
        # Once events came back and stopped again, it is a new episode: back on Today.
        later = TODAY + timedelta(days=10)
        await record_activity(
            session=session,
            event=activity(
                clinic_id,
                as_of=later,
                last_call=later - timedelta(days=3),
                calls_quiet=True,
                ai_assisted=[40],
            ),
        )
        await session.commit()
        again = await today.today(session=session, officer_id="officer-a", now=NOW + timedelta(days=10))
    assert [entry.clinic_name for entry in again.quiet_feeds] == ["Lakeside"]
