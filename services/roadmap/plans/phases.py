"""The method's rules for a plan's phases, as pure functions and tables: data in, data out.

Read by the plan workflow (which must stay deterministic), the API's live view and the practice
report alike; nothing here touches a database, a broker or a clock.
"""

from shared.events.roadmap import NoticeKind, PlanPhase

# The phases that last a set time (the rest: the evaluation gate and the two final phases).
# The phases themselves are defined once, in shared/events/roadmap.py.
TIMED_PHASES: tuple[PlanPhase, ...] = ("baseline", "preparation", "pilot", "rollout", "sustain")

# Where a timed phase leads once its time is up (the gate decides where evaluation leads).
NEXT_PHASE: dict[str, PlanPhase] = {
    "baseline": "preparation",
    "preparation": "pilot",
    "pilot": "evaluation",
    "rollout": "sustain",
    "sustain": "done",
}
# What the plan tells staff and owner as a phase starts: the method's preparation steps and more.
PHASE_START_REMINDERS: dict[str, list[tuple[NoticeKind, str]]] = {
    "preparation": [
        ("communication", "staff communication: tell every staff member what changes, why, and who owns it"),
        ("training", "training sessions: schedule hands-on training for the pilot group"),
        ("survey", "buy-in survey: send the short staff buy-in survey before the pilot starts"),
    ],
    "pilot": [("pilot_start", "pilot starts: the pilot group uses the tool; the KPI is reviewed every week")],
    "rollout": [("training", "rollout: train the remaining staff and switch everyone to the new workflow")],
    "sustain": [("sustain_start", "sustain: adoption is watched weekly; fading use triggers retraining")],
}

# The buy-in survey's later rounds, reminded as the phase that runs them starts: the gate round
# during the pilot (its results show at the gate next to the KPI), the sustain round in rollout.
SURVEY_ROUND_REMINDERS: dict[str, tuple[str, str]] = {
    "pilot": ("gate", "so the answers are in when the gate decides"),
    "rollout": ("sustain", "to see whether staff kept the new way of working"),
}

DEFAULT_PHASE_DAYS: dict[str, int] = {
    "baseline": 14,
    "preparation": 14,
    "pilot": 42,
    "rollout": 56,
    "sustain": 84,
}


def kpi_progress(
    *, value: float | None, baseline: float | None, target_change_pct: float, progress: float | None = None
) -> float | None:
    """Share of the way from baseline to target (1 = met).

    Computed from value and baseline against the plan's current target (the officer may have
    changed it); the KPI service's own figure is used when the baseline is not known here.
    """
    if value is None or baseline is None or baseline == 0 or target_change_pct == 0:
        return progress
    change_pct = (value - baseline) / abs(baseline) * 100
    return change_pct / target_change_pct
