"""What `make demo` builds: the portfolio's clinics at every stage, their audit week, and the
partner events of their past weeks (deploy/demo/fill.py sends them through the public APIs).
"""

import random
import string
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

STAGES = ("assessed", "auditing", "roadmap", "pilot", "gate", "rollout", "sustain", "done")
SPECIALTIES = ("family medicine", "orthopedics", "dermatology", "pediatrics", "cardiology", "women's health")
NAMES = (
    "Harbor",
    "Lakeside",
    "Cedar Ridge",
    "Bayview",
    "Riverside",
    "Summit",
    "Maple Grove",
    "Pinecrest",
    "Northgate",
    "Willow Creek",
    "Stonebridge",
    "Oak Hollow",
    "Brookfield",
    "Fairview",
    "Highland",
    "Sunrise",
    "Meadowbrook",
    "Clearwater",
    "Westfield",
    "Ashford",
    "Greenway",
    "Kingsley",
    "Elmwood",
    "Silver Lake",
    "Foxhill",
    "Parkside",
    "Redwood",
    "Seaside",
    "Hillcrest",
    "Rosewood",
)
# The demo's practices keep their own clocks, across the United States.
TIME_ZONES = ("America/Chicago", "America/New_York", "America/Denver", "America/Los_Angeles")
# Every plan's baseline: the feed's whole weeks before its pilot began.
BASELINE_WEEKS = 4
# When each stage's pilot began (whole weeks before this one): the demo's plans began in the past,
# so their gates judge real weeks. Each pilot lasts PILOT_DAYS; those at the gate just finished it.
PILOT_WEEKS_AGO = {"pilot": 2, "gate": 6, "rollout": 10, "sustain": 14, "done": 16}
PILOT_DAYS = 42
# What the scribe does to the pilot group's minutes per note once use has ramped up, by the verdict
# each clinic's story leads to (the other physicians, physician-4 to -6, are the concurrent control).
# Both groups have at least MIN_GROUP clinicians (shared.small_groups): a smaller one is not judged apart.
EFFECTS = {"pass": -0.25, "fail": 0.0, "inconclusive": -0.09}
RAMP_WEEKS = 2
# Staff pseudonyms as audit's default roster spells them (a role and a number), so the audit week's
# "who logged" and the partner events name the same people.
PILOT_GROUP = ("physician-1", "physician-2", "physician-3", "medical-assistant-1")
CLINICIANS = tuple(f"physician-{n}" for n in range(1, 7))
NOTES_A_DAY = 24
# What each role logs in the audit week: (category, what, minutes, times a day, predictability, tools).
ROLE_TASKS = {
    "physician": [("documentation", "notes after visits", 6, 14, "mostly_same", ["EMR"])],
    "medical assistant": [
        ("follow_up_calls", "call back about results", 5, 9, "always_same", ["phone"]),
    ],
    "front desk": [
        ("appointment_scheduling", "book and confirm visits", 4, 20, "always_same", ["phone"]),
        ("insurance_verification", "check eligibility", 4, 12, "always_same", ["portal"]),
    ],
}


@dataclass
class DemoClinic:
    name: str
    specialty: str
    stage: str
    maturity: float  # 0..1: how the assessment is answered
    feed: str = "steady"  # "steady", "fading" (adoption decline) or "quiet" (feed stopped)
    verdict: str = "pass"  # where the pilot's evidence leads at the gate: pass, fail or inconclusive
    time_zone: str = "America/Chicago"  # an American practice: its own zone, US public holidays
    size: int = 1  # 0 small, 1 mid-sized, 2 large: its support staff, audit and call volume follow
    id: str = ""


def headcounts(clinic: DemoClinic) -> dict[str, int]:
    """The clinic's staff by role: six physicians everywhere (the partner feed's clinicians), the
    support staff by the clinic's size."""
    return {
        "physician": len(CLINICIANS),
        "medical assistant": 2 + 2 * clinic.size + len(clinic.name) % 2,
        "front desk": 2 + clinic.size,
    }


def hourly_costs(clinic: DemoClinic) -> dict[str, float]:
    """Wages differ by region and practice: a few dollars either side of the usual."""
    rng = random.Random(f"wages:{clinic.name}")  # noqa: S311 - demo figures, nothing secret
    usual = {"physician": 120.0, "medical assistant": 24.0, "front desk": 21.0}
    return {role: round(cost * rng.uniform(0.88, 1.15), 2) for role, cost in usual.items()}


def roster(clinic: DemoClinic) -> list[tuple[str, str]]:
    """(pseudonym, role) of every staff member, as audit's default roster names them."""
    return [
        (f"{role.replace(' ', '-')}-{number}", role)
        for role, count in headcounts(clinic).items()
        for number in range(1, count + 1)
    ]


def audit_log(clinic: DemoClinic, day: str) -> list[dict[str, Any]]:
    """One day of the clinic's audit: most of its staff log their role's tasks, each at their own
    pace; one or two (more in a larger clinic) did not log."""
    rng = random.Random(f"audit:{clinic.name}")  # noqa: S311 - demo figures, nothing secret
    staff = roster(clinic)
    silent = set(rng.sample([who for who, _ in staff], k=1 + clinic.size // 2))
    return [
        {
            "staff_id": who,
            "role": role,
            "day": day,
            "category": category,
            "description": text,
            "minutes": max(1, round(minutes * rng.uniform(0.7, 1.4))),
            "occurrences": max(1, round(times * rng.uniform(0.6, 1.3) * (1 + 0.25 * clinic.size))),
            "predictability": predictability,
            "tools": tools,
        }
        for who, role in staff
        if who not in silent
        for category, text, minutes, times, predictability, tools in ROLE_TASKS[role]
    ]


def history_weeks(clinic: DemoClinic) -> int:
    """Whole weeks of events before this one: the baseline, then the weeks since the pilot began."""
    return BASELINE_WEEKS + PILOT_WEEKS_AGO.get(clinic.stage, 0)


def ai_use(clinic: DemoClinic, week: int, weeks: int) -> float:
    """The share of a pilot clinician's notes written with the scribe in week `week` of `weeks`.

    None before the pilot; rising over the ramp-up, then steady; for the fading clinic, falling over
    the last three complete weeks and on in the current one (week `weeks`).
    """
    pilot_week = week - BASELINE_WEEKS
    if pilot_week < 0:
        return 0.0
    use = min(0.7, 0.25 + 0.2 * pilot_week)
    if clinic.feed == "fading":
        fade = week - (weeks - 4)  # 1, 2, 3 in the last three complete weeks, 4 in the current one
        if fade > 0:
            return max(0.05, use - 0.2 * fade)
    return use


def minutes_factor(clinic: DemoClinic, week: int) -> float:
    """The pilot group's minutes per note against its own baseline: the effect, reached over the ramp."""
    pilot_week = week - BASELINE_WEEKS
    if pilot_week < 0:
        return 1.0
    effect = EFFECTS.get(clinic.verdict, EFFECTS["pass"])
    return 1.0 + effect * min(1.0, (pilot_week + 1) / RAMP_WEEKS)


def demo_days(clinic: DemoClinic, *, now: datetime, zone: tzinfo) -> list[tuple[int, datetime]]:
    """Each day the clinic's feeds send, as (week index, the moment its events carry).

    The history is anchored to the clinic's calendar weeks (Monday to Sunday, its own time zone),
    as kpi judges them: whole weeks before this one, then this week's days up to today, so the
    story is the same on every day of the week. A day's events carry 09:00 local; today's, a
    moment already past.
    """
    weeks = history_weeks(clinic)
    local_now = now.astimezone(zone)
    today = local_now.date()
    first = today - timedelta(days=today.weekday(), weeks=weeks)
    # The quiet feed stopped three weeks ago.
    last = today - timedelta(days=21) if clinic.feed == "quiet" else today
    days = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        if day == today:
            midnight = datetime.combine(day, time(), zone)
            moment = midnight + (local_now - midnight) / 2
        else:
            moment = datetime.combine(day, time(9), zone)
        days.append((offset // 7, moment))
    return days


def demo_events(clinic: DemoClinic, *, now: datetime, zone: tzinfo) -> list[dict[str, Any]]:
    """About 200 events a week: each clinician's notes, the scribe's sessions, the calls.

    Each week has a shock every clinician shares (a busy week is busy for all) and one of each
    clinician's own, so the gate has real week-to-week variation to see through; the inconclusive
    clinic's weeks are noisier.
    """
    rng = random.Random(clinic.name)  # noqa: S311 - demo figures, nothing secret
    calls = random.Random(f"calls:{clinic.name}")  # noqa: S311
    events: list[dict[str, Any]] = []
    weeks = history_weeks(clinic)
    spread = 0.12 if clinic.verdict == "inconclusive" else 0.04
    shocks: dict[tuple[int, str], float] = {}

    def shock(week: int, who: str) -> float:
        if (week, who) not in shocks:
            shocks[week, who] = rng.gauss(0.0, spread if who != "all" else 0.05)
        return shocks[week, who]

    for week, moment in demo_days(clinic, now=now, zone=zone):
        for n in range(NOTES_A_DAY):
            staff = CLINICIANS[n % len(CLINICIANS)]
            piloting = staff in PILOT_GROUP
            ai = piloting and rng.random() < ai_use(clinic, week, weeks)
            usual = 14.5 + CLINICIANS.index(staff)
            level = usual * (1 + shock(week, "all") + shock(week, staff))
            if piloting:
                level *= minutes_factor(clinic, week)
            events.append(
                cloud_event(
                    clinic,
                    moment,
                    "partner.note.signed",
                    {
                        "documentation_minutes": round(max(rng.gauss(level, 2.0), 1.0), 1),
                        "ai_assisted": ai,
                        "staff_id": staff,
                    },
                )
            )
            if ai:
                events.append(
                    cloud_event(
                        clinic,
                        moment,
                        "partner.ai_tool.session",
                        {"staff_id": staff, "tool": "ambient-scribe", "minutes": 6},
                    )
                )
        # Calls follow the clinic's size; a larger clinic's extra calls draw from their own generator,
        # so the notes' figures (the gate's evidence) are the same at every size.
        for number in range(8 + 4 * clinic.size):
            draw = rng if number < 8 else calls
            missed = draw.random() < 0.22
            events.append(
                cloud_event(
                    clinic,
                    moment,
                    "partner.call.missed" if missed else "partner.call.answered",
                    {"wait_seconds": draw.randint(5, 90)},
                )
            )
    return events


def cloud_event(clinic: DemoClinic, moment: datetime, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "type": kind,
        "time": moment.isoformat(),
        "subject": clinic.id,
        "data": data,
    }


def portfolio(count: int) -> list[DemoClinic]:
    """`count` clinics spread over the stages, the later stages a little more often.

    The clinics at the gate lead to each of its three outcomes in turn; the first clinic in sustain
    fades, and the last one in rollout has a feed that went quiet.
    """
    weights = {
        "assessed": 3,
        "auditing": 3,
        "roadmap": 3,
        "pilot": 3,
        "gate": 4,
        "rollout": 4,
        "sustain": 4,
        "done": 1,
    }
    stages = [stage for stage, weight in weights.items() for _ in range(weight)]
    clinics = []
    for index in range(count):
        stage = stages[index % len(stages)] if count >= len(stages) else STAGES[index % len(STAGES)]
        specialty = SPECIALTIES[index % len(SPECIALTIES)]
        name = f"{NAMES[index % len(NAMES)]} {string.capwords(specialty)}"
        # Clinics that reached a plan answered the assessment well, compliance included: a clinic
        # without BAAs may not pilot a tool that touches patient data.
        planned = STAGES.index(stage) >= STAGES.index("pilot")
        maturity = 0.7 + (index % 3) / 10 if planned else 0.3 + (index % 5) / 10
        zone = TIME_ZONES[index % len(TIME_ZONES)]
        size = (index * 7 + 1) % 3
        clinics.append(
            DemoClinic(
                name=name, specialty=specialty, stage=stage, maturity=maturity, time_zone=zone, size=size
            )
        )
    at_gate = [clinic for clinic in clinics if clinic.stage == "gate"]
    for clinic, verdict in zip(at_gate, ("pass", "fail", "inconclusive", "pass"), strict=False):
        clinic.verdict = verdict
    # The fading clinic has used its scribe longest (sustain): its chart's reference leaves out the
    # ramp-up and still has weeks of steady use before the fade. The quiet one is in rollout.
    sustaining = [clinic for clinic in clinics if clinic.stage == "sustain"]
    rolling_out = [clinic for clinic in clinics if clinic.stage == "rollout"]
    if sustaining:
        sustaining[0].feed = "fading"
    if rolling_out:
        rolling_out[-1].feed = "quiet"
    return clinics
