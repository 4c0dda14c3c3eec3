"""Which alerts kpi raises from a clinic's weeks: Laney charts on the AI-assisted share and the KPI,
pilot clinicians going dormant, stale feeds. Limits are checked against numpy computed here."""

from collections import defaultdict
from datetime import date, timedelta
from uuid import uuid4

import pytest

from services.kpi import alert_rules, kpis
from services.kpi.clinic_watch import alert_id
from services.kpi.control_charts import ADOPTION_RATES
from shared.calendar import iso_week
from shared.small_groups import NOT_SHOWN_PER_PERSON
from tests.laney_reference import laney_p_limit

FIRST_MONDAY = date(2026, 5, 4)  # ISO week 2026-W19
WEEKS = [iso_week(FIRST_MONDAY + timedelta(weeks=index)) for index in range(30)]


def _week_data(**counters: float) -> kpis.PeriodData:
    data = kpis.PeriodData()
    data.counters.update(counters)
    return data


def _notes(ai_assisted: list[int], signed: int = 60) -> dict[str, kpis.PeriodData]:
    return {
        WEEKS[index]: _week_data(notes_signed=signed, notes_ai_assisted=count)
        for index, count in enumerate(ai_assisted)
    }


def _daily(feed_counter: str, per_day: dict[date, float]) -> dict[date, kpis.PeriodData]:
    return {day: _week_data(**{feed_counter: count}) for day, count in per_day.items()}


RAMP = [10, 20, 30, 35]  # of 60 notes: the first four weeks of use, never the reference


def test_a_falling_ai_assisted_share_is_a_decline_with_its_limits_and_what_to_do() -> None:
    reference = [35, 37] * 5 + [36, 36]  # 58-62 % of 60 notes after the ramp: every week before the last
    weekly = _notes([*RAMP, *reference, 12])
    today = kpis.week_start(WEEKS[17])
    days = _daily("notes_signed", {today - timedelta(days=offset): 12 for offset in range(1, 8)})
    finding = alert_rules.ai_assisted_notes_decline(weekly, WEEKS[:17], days=days, today=today)
    assert finding is not None
    centre, _, lower = laney_p_limit(
        [(count, 60.0) for count in reference], [(12, 60.0)], alpha=ADOPTION_RATES.point
    )
    assert (finding.kind, finding.metric, finding.week, finding.episode) == (
        "adoption_decline",
        "ai_assisted_note_share",
        WEEKS[16],
        WEEKS[16],
    )
    assert finding.evidence["rule"] == "beyond_limit"
    assert finding.evidence["reference_from"] == WEEKS[4]  # the ramp is left out
    assert finding.evidence["notes_of"] == "all_clinicians"  # these notes do not name their clinician
    assert finding.evidence["centre"] == pytest.approx(centre, abs=1e-4)
    assert finding.evidence["lower_limit"] == pytest.approx(lower, abs=1e-4)
    assert finding.evidence[f"point_{WEEKS[16]}"] == 0.2
    assert "84 events in the last 7 days" in finding.message
    assert "Next:" in finding.message and not finding.message.startswith("Still")


def test_a_decline_still_open_a_week_later_is_found_again_as_week_two_and_stops_when_it_recovers() -> None:
    before = [*RAMP, *[35, 37] * 5]
    today = kpis.week_start(WEEKS[16])
    first = alert_rules.ai_assisted_notes_decline(_notes([*before, 36, 12]), WEEKS[:16], days={}, today=today)
    assert first is not None and first.weeks_open == 1
    later = kpis.week_start(WEEKS[17])
    still = alert_rules.ai_assisted_notes_decline(
        _notes([*before, 36, 12, 14]), WEEKS[:17], days={}, today=later
    )
    assert still is not None
    assert (still.episode, still.week, still.weeks_open) == (first.episode, WEEKS[16], 2)
    assert still.message.startswith(f"Still, week 2 of this decline (since {WEEKS[15]})")
    assert still.evidence["reference_to"] == first.evidence["reference_to"]  # the reference is held
    recovered = _notes([*before, 36, 12, 36, 36, 37])
    assert (
        alert_rules.ai_assisted_notes_decline(
            recovered, WEEKS[:19], days={}, today=kpis.week_start(WEEKS[19])
        )
        is None
    )


def test_no_decline_without_a_scribe_before_nine_weeks_of_use_or_on_noise() -> None:
    today = kpis.week_start(WEEKS[17])
    assert alert_rules.ai_assisted_notes_decline(_notes([0] * 17), WEEKS[:17], days={}, today=today) is None
    short = _notes([*RAMP, 36, 36, 36, 5])  # 8 weeks of use: the ramp and 4 weeks, no reference yet
    assert alert_rules.ai_assisted_notes_decline(short, WEEKS[:8], days={}, today=today) is None
    noisy = _notes([*RAMP, *[33, 39] * 6, 31])
    assert alert_rules.ai_assisted_notes_decline(noisy, WEEKS[:17], days={}, today=today) is None


def test_missed_calls_rising_again_is_a_regression_on_a_p_chart() -> None:
    weeks = WEEKS[:17]
    missed = [10, 14] * 7 + [12, 12, 40]
    weekly = {
        week: _week_data(calls_missed=count, calls_answered=100 - count)
        for week, count in zip(weeks, missed, strict=True)
    }
    finding = alert_rules.kpi_regression(
        kpis.definition("missed_call_rate"), weekly, weeks, today=kpis.week_start(WEEKS[17])
    )
    assert finding is not None
    assert (finding.kind, finding.evidence["direction"], finding.evidence["chart"]) == (
        "target_regression",
        "up",
        "laney_p_prime",
    )
    assert finding.evidence["centre"] == pytest.approx(0.12)
    # A median has no counts to chart: no regression alert rather than a wrong one.
    assert (
        alert_rules.kpi_regression(
            kpis.definition("median_message_response_minutes"), weekly, weeks, today=date(2026, 9, 7)
        )
        is None
    )


def _users(active: list[list[str]], shares: list[int] | None = None) -> dict[str, kpis.PeriodData]:
    """Weeks of AI-tool users (10 minutes each) and, optionally, AI-assisted notes of 100 signed."""
    weekly = {}
    for index, staff in enumerate(active):
        data = kpis.PeriodData()
        for staff_id in staff:
            data.staff_minutes[staff_id] = 10.0
        if shares is not None:
            data.counters.update(notes_signed=100, notes_ai_assisted=shares[index])
        weekly[WEEKS[index]] = data
    return weekly


TEN = [f"s{n}" for n in range(10)]


def _dormant(
    weekly: dict[str, kpis.PeriodData], weeks: int, group: list[str] = TEN
) -> alert_rules.AlertFinding | None:
    today = kpis.week_start(WEEKS[weeks])
    return alert_rules.dormant_clinicians(weekly, WEEKS[:weeks], pilot_group=group, days={}, today=today)


def test_eight_of_ten_pilot_clinicians_stopping_fires_after_two_idle_weeks_naming_no_one() -> None:
    active = [TEN] * 10 + [TEN[:2], TEN[:2]]
    assert _dormant(_users(active), 11) is None  # one idle week is not yet stopping
    finding = _dormant(_users(active), 12)
    assert finding is not None
    assert (finding.metric, finding.week, finding.episode, finding.weeks_open) == (
        "pilot_clinicians_dormant",
        WEEKS[11],
        WEEKS[11],
        1,
    )
    assert (finding.evidence["stopped"], finding.evidence["users"]) == (8, 10)
    assert "8 of the 10 who used it" in finding.message
    assert not any(staff in finding.message for staff in TEN)
    # Still stopped a week later: week 2 of the same episode; back at work: no alert.
    still = _dormant(_users([*active, TEN[:2]]), 13)
    assert still is not None and (still.episode, still.weeks_open) == (WEEKS[11], 2)
    assert still.message.startswith(f"Still, week 2 of this decline (since {WEEKS[11]})")
    assert _dormant(_users([*active, TEN]), 13) is None


def test_one_person_on_leave_never_fires_and_two_fire_only_when_the_share_of_notes_fell() -> None:
    four = TEN[:4]
    holiday = [four] * 8 + [four[1:], four[1:]]  # one of four idle two weeks: 25 %, but one person
    assert _dormant(_users(holiday), 10, group=four) is None
    two_idle = [TEN] * 10 + [TEN[2:], TEN[2:]]  # two of ten idle for two weeks (20 %)
    steady = [60, 62] * 5 + [61, 60]  # on leave: they sign no notes, the AI share holds
    assert _dormant(_users(two_idle, steady), 12) is None
    assert _dormant(_users(two_idle), 12) is None  # no notes to tell leave from stopping
    fell = [60, 62] * 5 + [50, 48]  # still signing notes, without the tool: the share fell
    finding = _dormant(_users(two_idle, fell), 12)
    assert finding is not None and finding.evidence["share_of_notes_fell"] == "true"
    three_idle = [TEN] * 10 + [TEN[3:], TEN[3:]]  # three of ten: fires without the notes
    assert _dormant(_users(three_idle), 12) is not None
    outsiders = [[*TEN[:2], "x9"]] * 12  # staff outside the pilot group are not counted
    assert _dormant(_users([TEN] * 8 + outsiders[:4]), 12, group=TEN) is not None


def test_fewer_than_three_users_stopping_is_said_at_clinic_level_without_singling_anyone_out() -> None:
    """At a one- or two-physician practice "2 of the 2 stopped" is what each of them did: the alert says
    only that adoption fell at the clinic, with no count of people and no staff id."""
    pair, trio = TEN[:2], TEN[:3]
    notes_named = _clinic_weeks([(36, set(pair), set(pair))] * 10 + [(0, set(), set(pair))] * 2)
    for finding in (
        _dormant(notes_named, 12, group=pair),  # both stopped while at work
        _dormant(_users([pair] * 10 + [[], []]), 12, group=pair),  # both idle two calendar weeks
        _dormant(_users([pair[:1]] * 10 + [[], []]), 12, group=pair[:1]),  # a one-physician practice
    ):
        assert finding is not None and finding.kind == "adoption_decline"
        assert finding.evidence["rule"] == "clinic_use_fell"
        assert not {"users", "stopped", "stopped_share"} & set(finding.evidence)
        assert "adoption fell at this clinic" in finding.message and NOT_SHOWN_PER_PERSON in finding.message
        assert not any(staff in finding.message for staff in pair) and " of the " not in finding.message
    # One of two idle while the other works on, with no notes to tell leave from stopping: no alert.
    assert _dormant(_users([pair] * 10 + [pair[1:]] * 2), 12, group=pair) is None
    finding = _dormant(_users([trio] * 10 + [[], []]), 12, group=trio)  # three: the group is shown
    assert finding is not None and (finding.evidence["stopped"], finding.evidence["users"]) == (3, 3)


def test_an_alert_id_is_the_episodes_in_its_first_week_and_distinct_each_week_after() -> None:
    owner = uuid4()
    first = alert_id(owner_id=owner, kind="adoption_decline", metric="m", episode=WEEKS[3], week=WEEKS[3])
    assert first == alert_id(owner_id=owner, kind="adoption_decline", metric="m", episode=WEEKS[3])
    second = alert_id(owner_id=owner, kind="adoption_decline", metric="m", episode=WEEKS[3], week=WEEKS[4])
    third = alert_id(owner_id=owner, kind="adoption_decline", metric="m", episode=WEEKS[3], week=WEEKS[5])
    assert len({first, second, third}) == 3


def test_a_quiet_feed_is_stale_and_names_the_partner_to_call() -> None:
    today = date(2026, 9, 10)
    busy = {today - timedelta(days=offset): 20.0 for offset in range(4, 32)}
    days = _daily("calls_answered", busy)
    statuses = alert_rules.feed_statuses(days, today=today)
    assert statuses["calls"].stale and not statuses["notes"].stale
    findings = alert_rules.stale_feed_findings(
        statuses, today=today, partner_names={"calls": ["Acme Phones"]}
    )
    assert [finding.metric for finding in findings] == ["feed_calls"]
    (finding,) = findings
    assert finding.kind == "feed_stale"
    assert finding.episode == str(today - timedelta(days=4))
    assert finding.evidence["usual_events_per_day"] == 20.0
    assert "Acme Phones" in finding.message and "missed_call_rate" in finding.message
    live = _daily("calls_answered", busy | {today - timedelta(days=2): 3.0})
    assert not alert_rules.feed_statuses(live, today=today)["calls"].stale


def test_share_within_counts_for_the_chart() -> None:
    data = kpis.PeriodData(counters=defaultdict(float))
    data.counters.update(
        {
            "messages_received": 10,
            kpis.ANSWERED_WITHIN_BUSINESS_DAY: 6,
        }
    )
    counts = alert_rules.chart_counts(kpis.definition("messages_answered_within_business_day"), data)
    assert counts == pytest.approx((6.0, 10.0))


def _clinic_weeks(weeks: list[tuple[int, set[str], set[str]]]) -> dict[str, kpis.PeriodData]:
    """Weeks of ten clinicians' notes (60 each, naming them): (AI-assisted each of those using the
    scribe, who used it, who signed notes). A clinician who used it has a session that week."""
    weekly = {}
    for index, (assisted, using, working) in enumerate(weeks):
        data = kpis.PeriodData()
        for staff_id in working:
            used = assisted if staff_id in using else 0
            data.staff_notes[staff_id] = kpis.NoteSums(notes=60, minutes=600, ai_assisted=used)
            data.counters["notes_signed"] += 60
            data.counters["notes_ai_assisted"] += used
            if used:
                data.staff_minutes[staff_id] = 10.0
        weekly[WEEKS[index]] = data
    return weekly


ALL = set(TEN)
RAMP_USE = [(6, ALL, ALL), (12, ALL, ALL), (18, ALL, ALL), (21, ALL, ALL)]


def test_the_share_chart_counts_the_notes_of_the_scribes_users() -> None:
    usual = [(36, ALL, ALL)] * 12  # 60 % of every clinician's notes after the ramp
    today = kpis.week_start(WEEKS[17])
    # Four of ten sign their notes without it this week: 36 % of all notes, beyond the week's limit,
    # but those who used it used it as much as ever. Who stopped is the stopped-clinicians rule's.
    four_without = _clinic_weeks([*RAMP_USE, *usual, (36, set(TEN[4:]), ALL)])
    assert alert_rules.ai_assisted_notes_decline(four_without, WEEKS[:17], days={}, today=today) is None
    centre, _, plain_limit = laney_p_limit([(360, 600)] * 12, [(216, 600)], alpha=ADOPTION_RATES.point)
    assert plain_limit > 216 / 600  # counted over all notes, the same week would have fired
    # Every user writing fewer notes with it: a decline of the users' share.
    fewer = _clinic_weeks([*RAMP_USE, *usual, (15, ALL, ALL)])
    finding = alert_rules.ai_assisted_notes_decline(fewer, WEEKS[:17], days={}, today=today)
    assert finding is not None and finding.evidence["notes_of"] == "scribe_users"
    assert finding.evidence["centre"] == pytest.approx(centre)
    assert "by the clinicians who use it" in finding.message


def test_a_week_without_notes_is_a_week_away_not_a_week_stopped() -> None:
    usual = [(36, ALL, ALL)] * 10
    # Two of ten at work two weeks without the scribe: their notes say they were there. With absence
    # known, two (20 %) are enough, without the share of notes having to fall.
    stopped = _clinic_weeks([*usual, (36, set(TEN[2:]), ALL), (36, set(TEN[2:]), ALL)])
    finding = _dormant(stopped, 12)
    assert finding is not None and (finding.evidence["stopped"], finding.evidence["users"]) == (2, 10)
    # Three of ten on leave two weeks (no notes, no sessions): not stopped. Without notes naming
    # them, the same three idle weeks fire (test above: three_idle).
    leave = _clinic_weeks([*usual, (36, set(TEN[3:]), set(TEN[3:])), (36, set(TEN[3:]), set(TEN[3:]))])
    assert _dormant(leave, 12) is None
    # Away last week, at work without the scribe the week before: one week at work without it, not two.
    back = _clinic_weeks([*usual, (36, set(TEN[2:]), ALL), (36, set(TEN[2:]), set(TEN[2:]))])
    assert _dormant(back, 12) is None
    # ... and once two weeks at work without it are behind them, stopped, whatever the weeks between.
    later = _clinic_weeks(
        [*usual, (36, set(TEN[2:]), ALL), (36, set(TEN[2:]), set(TEN[2:])), (36, set(TEN[2:]), ALL)]
    )
    found = _dormant(later, 13)
    assert found is not None and found.evidence["stopped"] == 2


def test_a_lagged_kpi_is_charted_on_its_final_weeks_only() -> None:
    referrals = kpis.definition("referral_completion_rate")
    assert referrals.lag_weeks == 5
    # 60 % of referrals completed within 30 days; the last five weeks' completions are still arriving.
    completed = [58, 62] * 8 + [40, 30, 20, 10, 0]
    weekly = {
        WEEKS[index]: _week_data(referrals_sent=100, referrals_completed_within_30_days=count)
        for index, count in enumerate(completed)
    }
    weeks = WEEKS[: len(completed)]
    today = kpis.week_start(WEEKS[len(completed)])
    assert alert_rules.kpi_regression(referrals, weekly, weeks, today=today) is None
    # Were those weeks final (their completions never came), the chart would call it a regression.
    later = kpis.week_start(WEEKS[len(completed) + 5])
    finding = alert_rules.kpi_regression(referrals, weekly, weeks, today=later)
    assert finding is not None and finding.evidence["direction"] == "down"
