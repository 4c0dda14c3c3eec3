"""What `make demo` builds: the portfolio's clinics at every stage, their audit week, and the
partner events of their past weeks (deploy/demo/fill.py sends them through the public APIs).
"""

import random
import string
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

STAGES = ("assessed", "auditing", "roadmap", "pilot", "gate", "rollout", "sustain")
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
WEEKS_OF_EVENTS = 8
# The clinic whose AI use fades has used its scribe longer: kpi's chart of the AI-assisted share
# needs 14 weeks of use as its reference before it judges the last three.
FADING_WEEKS_OF_EVENTS = 20
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
    time_zone: str = "America/Chicago"  # an American practice: its own zone, US public holidays
    id: str = ""


def ai_use(clinic: DemoClinic, week: int, weeks: int) -> float:
    """The share of notes written with the scribe in a week: rising, or fading over the last three
    complete weeks (week `weeks` is the current one, still under way, where the fade goes on)."""
    if clinic.feed == "fading":
        fade = week - (weeks - 4)  # 1, 2, 3 in the last three complete weeks, 4 in the current one
        return max(0.1, 0.6 - 0.15 * fade) if fade > 0 else min(0.6, 0.15 + 0.1 * week)
    return 0.15 + 0.1 * week


def demo_days(clinic: DemoClinic, *, now: datetime, zone: tzinfo) -> list[tuple[int, datetime]]:
    """Each day the clinic's feeds send, as (week index, the moment its events carry).

    The history is anchored to the clinic's calendar weeks (Monday to Sunday, its own time zone),
    as kpi judges them: whole weeks before this one, then this week's days up to today, so the
    story is the same on every day of the week. A day's events carry 09:00 local; today's, a
    moment already past.
    """
    weeks = FADING_WEEKS_OF_EVENTS if clinic.feed == "fading" else WEEKS_OF_EVENTS
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
    """About 150 events a week over the past weeks: notes, calls, AI tool sessions."""
    rng = random.Random(clinic.name)  # noqa: S311 - demo figures, nothing secret
    events: list[dict[str, Any]] = []
    weeks = FADING_WEEKS_OF_EVENTS if clinic.feed == "fading" else WEEKS_OF_EVENTS
    for week, moment in demo_days(clinic, now=now, zone=zone):
        use = ai_use(clinic, week, weeks)
        for n in range(14):
            ai = rng.random() < min(use, 0.8)
            staff = f"dr-{n % 3}"
            events.append(
                cloud_event(
                    clinic,
                    moment,
                    "partner.note.signed",
                    {
                        "documentation_minutes": round(rng.gauss(11.5 if ai else 14.5, 2.0), 1),
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
    """`count` clinics spread over the stages, the later stages a little more often."""
    weights = {"assessed": 3, "auditing": 3, "roadmap": 3, "pilot": 4, "gate": 4, "rollout": 4, "sustain": 4}
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
    plan_clinics = [clinic for clinic in clinics if clinic.stage in ("rollout", "sustain")]
    if plan_clinics:
        plan_clinics[0].feed = "fading"
    if len(plan_clinics) > 1:
        plan_clinics[-1].feed = "quiet"
    return clinics
