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
# each clinic's story leads to (the rest of the physicians, dr-3 to dr-5, are the concurrent control).
# Both groups have at least MIN_GROUP clinicians (shared.small_groups): a smaller one is not judged apart.
EFFECTS = {"pass": -0.25, "fail": 0.0, "inconclusive": -0.09}
RAMP_WEEKS = 2
PILOT_GROUP = ("dr-0", "dr-1", "dr-2", "ma-0")
CLINICIANS = tuple(f"dr-{n}" for n in range(6))
NOTES_A_DAY = 24
# One day of an audit: (staff, role, category, what, minutes, times, predictability, tools).
AUDIT_LOG = [
    *(
        (f"dr-{n}", "physician", "documentation", "notes after visits", 6, 14, "mostly_same", ["EMR"])
        for n in range(3)
    ),
    *(
        (
            f"ma-{n}",
            "medical assistant",
            "follow_up_calls",
            "call back about results",
            5,
            9,
            "always_same",
            ["phone"],
        )
        for n in range(3)
    ),
    *(
        (
            f"fd-{n}",
            "front desk",
            "appointment_scheduling",
            "book and confirm visits",
            4,
            20,
            "always_same",
            ["phone"],
        )
        for n in range(2)
    ),
    *(
        (
            f"fd-{n}",
            "front desk",
            "insurance_verification",
            "check eligibility",
            4,
            12,
            "always_same",
            ["portal"],
        )
        for n in range(2)
    ),
]


@dataclass
class DemoClinic:
    name: str
    specialty: str
    stage: str
    maturity: float  # 0..1: how the assessment is answered
    feed: str = "steady"  # "steady", "fading" (adoption decline) or "quiet" (feed stopped)
    verdict: str = "pass"  # where the pilot's evidence leads at the gate: pass, fail or inconclusive
    time_zone: str = "America/Chicago"  # an American practice: its own zone, US public holidays
    id: str = ""


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
        for _ in range(8):
            missed = rng.random() < 0.22
            events.append(
                cloud_event(
                    clinic,
                    moment,
                    "partner.call.missed" if missed else "partner.call.answered",
                    {"wait_seconds": rng.randint(5, 90)},
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
        clinics.append(
            DemoClinic(name=name, specialty=specialty, stage=stage, maturity=maturity, time_zone=zone)
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
