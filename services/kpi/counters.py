"""What one partner event adds to its clinic's daily counters: the hot path's per-event tables.

Most events count on their own local day (`counters_for`). A few count on the day their cohort
began, so a rate divides events by the trials they belong to (`dated_counters`): a no-show on
its visit's date, a completed referral on the day it was sent, a denial on the claim's
submission date. Their event-day counters stay too: the feeds' health reads those.
"""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from shared.events.partner import (
    AiToolSession,
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentNoShow,
    AppointmentRequested,
    CallAbandoned,
    CallAnswered,
    CallMissed,
    ClaimDenied,
    ClaimSubmitted,
    EligibilityChecked,
    FollowUpCompleted,
    MessageAnswered,
    MessageReceived,
    NoteSigned,
    PartnerEventBody,
    ReferralCompleted,
    ReferralSent,
)

# Response minutes are kept as a histogram at one-minute resolution up to two days; slower
# answers share the last bucket. That keeps the median exact where it matters and storage bounded.
RESPONSE_HISTOGRAM_PREFIX = "message_response_minute:"
RESPONSE_HISTOGRAM_CAP = 2 * 24 * 60
# Messages answered within one business day of arriving, in the clinic's opening hours: counted by
# the aggregator, which knows the clinic's calendar (services/kpi/aggregate.py).
ANSWERED_WITHIN_BUSINESS_DAY = "messages_answered_within_business_day"
# Channels where the patient books without staff: the self-scheduled share's numerator.
SELF_SERVICE_CHANNELS = frozenset({"web", "portal"})
# A referral completed, or a claim denied, within this many days of its sending or submission is
# counted on that day; a later one is outside the KPI's definition ("within 30 days"). It makes a
# week's rate final once its last day is this old (kpis.yaml: lag_weeks).
COHORT_WINDOW_DAYS = 30
# A visit date further than this from the event's own day is a partner's mistake, not a booking:
# the event counts on its own day instead (never on a day years away).
MAX_VISIT_DISTANCE = timedelta(days=366)

# Increments of a clinic-day's counters: (name, amount) pairs.
Counters = tuple[tuple[str, float], ...]
# Increments on days other than the event's own: (day, name, amount).
DatedCounters = tuple[tuple[date, str, float], ...]


def _message_answered(message: MessageAnswered) -> Counters:
    bucket = min(round(message.response_minutes), RESPONSE_HISTOGRAM_CAP)
    return (
        ("messages_answered", 1),
        ("message_response_minutes", message.response_minutes),
        (f"{RESPONSE_HISTOGRAM_PREFIX}{bucket}", 1),
    )


def _booked(booking: AppointmentBooked) -> Counters:
    if booking.channel in SELF_SERVICE_CHANNELS:
        return (("appointments_booked", 1), ("appointments_booked_self", 1))
    return (("appointments_booked", 1),)


def _requested(request: AppointmentRequested) -> Counters:
    if request.new_patient:
        return (("appointments_requested", 1), ("appointments_requested_new_patient", 1))
    return (("appointments_requested", 1),)


# What one event of each type adds to its clinic-day's counters. A table keyed by the body's
# class rather than a match statement: this runs for every event of the hot path, and each
# isinstance check against a pydantic model costs a quarter of a microsecond.
COUNTERS: dict[type[PartnerEventBody], Callable[[Any], Counters]] = {
    CallAnswered: lambda call: (("calls_answered", 1), ("call_wait_seconds", call.wait_seconds)),
    CallMissed: lambda call: (("calls_missed", 1), ("call_wait_seconds", call.wait_seconds)),
    CallAbandoned: lambda call: (("calls_abandoned", 1), ("call_wait_seconds", call.wait_seconds)),
    AppointmentRequested: _requested,
    AppointmentBooked: _booked,
    AppointmentCancelled: lambda _: (("appointments_cancelled", 1),),
    AppointmentNoShow: lambda _: (("appointments_no_show", 1),),
    # Per staff member too, when the note names one: apply_activity_batch keeps each one's notes by day.
    NoteSigned: lambda note: (
        ("notes_signed", 1),
        ("documentation_minutes", note.documentation_minutes),
        ("notes_ai_assisted", 1 if note.ai_assisted else 0),
    ),
    MessageReceived: lambda _: (("messages_received", 1),),
    MessageAnswered: _message_answered,
    # Per staff member too: apply_activity_batch keeps each one's minutes by day.
    AiToolSession: lambda session: (("ai_sessions", 1), ("ai_minutes", session.minutes)),
    EligibilityChecked: lambda check: (
        ("eligibility_checks", 1),
        ("eligibility_minutes", check.minutes),
        ("eligibility_checks_automated", 1 if check.automated else 0),
    ),
    ClaimSubmitted: lambda _: (("claims_submitted", 1),),
    ClaimDenied: lambda _: (("claims_denied", 1),),
    ReferralSent: lambda _: (("referrals_sent", 1),),
    ReferralCompleted: lambda referral: (("referrals_completed", 1), ("referral_days", referral.days)),
    FollowUpCompleted: lambda _: (("followups_completed", 1),),
}


def counters_for(body: PartnerEventBody) -> Counters:
    """The counter increments one partner event contributes to its clinic and its own day."""
    return (("events", 1), *COUNTERS[type(body)](body))


def _visit_day(visit: date | None, day: date) -> date:
    if visit is None or abs(visit - day) > MAX_VISIT_DISTANCE:
        return day
    return visit


def _completed_referral(referral: ReferralCompleted, day: date) -> DatedCounters:
    if referral.days > COHORT_WINDOW_DAYS:
        return ()
    return ((day - timedelta(days=round(referral.days)), "referrals_completed_within_30_days", 1),)


def _denied_claim(denial: ClaimDenied, day: date) -> DatedCounters:
    submitted = denial.submitted_on
    if submitted is None or submitted > day:  # unknown, or a clock a day off: its own day
        return ((day, "claims_denied_within_30_days", 1),)
    if (day - submitted).days > COHORT_WINDOW_DAYS:
        return ()
    return ((submitted, "claims_denied_within_30_days", 1),)


# Counters of events whose cohort began on another day: (body, its own local day) -> increments.
# Only these types pay for it on the hot path (one dictionary lookup for every other event).
DATED_COUNTERS: dict[type[PartnerEventBody], Callable[[Any, date], DatedCounters]] = {
    AppointmentBooked: lambda booking, day: (
        (_visit_day(booking.appointment_date, day), "visits_booked", 1),
    ),
    AppointmentNoShow: lambda no_show, day: (
        (_visit_day(no_show.appointment_date, day), "visits_no_show", 1),
    ),
    ReferralCompleted: _completed_referral,
    ClaimDenied: _denied_claim,
}


def dated_counters(body: PartnerEventBody, day: date) -> DatedCounters:
    """The increments an event contributes to its cohort's day (none for most types)."""
    dated = DATED_COUNTERS.get(type(body))
    return () if dated is None else dated(body, day)
