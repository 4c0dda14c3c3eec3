"""What other services must know of each KPI: what it measures and which way is better.

kpi's kpis.yaml defines the KPIs; this is the part of it roadmap (targets, the gate) and the portal
(charts) need, and a unit test keeps the two in step. "rate" is a share in [0, 1] over weekly counts;
"duration" is minutes per item, judged per clinician where the events name one; "count" is events a
week; "other" (a median, a head count, an audit's hours) has no weekly sums the gate can judge, so
its gate says so.
"""

from typing import Literal

Measure = Literal["rate", "duration", "count", "other"]
Better = Literal["lower", "higher"]

KPI_MEASURES: dict[str, tuple[Measure, Better]] = {
    "missed_call_rate": ("rate", "lower"),
    "documentation_minutes_per_note": ("duration", "lower"),
    "messages_answered_within_business_day": ("rate", "higher"),
    "median_message_response_minutes": ("other", "lower"),
    "appointment_conversion": ("rate", "higher"),
    "no_show_rate": ("rate", "lower"),
    "ai_weekly_active_staff": ("other", "higher"),
    "ai_adoption_rate": ("rate", "higher"),
    "ai_assisted_note_share": ("rate", "higher"),
    "minutes_per_eligibility_check": ("duration", "lower"),
    "claim_denial_rate": ("rate", "lower"),
    "referral_completion_rate": ("rate", "higher"),
    "self_scheduled_share": ("rate", "higher"),
    "new_patient_requests": ("count", "higher"),
    "followups_completed": ("count", "higher"),
    "task_hours_per_week": ("other", "lower"),
}


# KPIs measured by a short time audit, and how the gate judges their weeks: each re-audit during the
# pilot gives one week of hours, judged as a weekly log value against the first audit's figure.
AUDITED_KPIS: dict[str, Measure] = {"task_hours_per_week": "count"}

# Complete weeks after a week ends before its value is final (counted by send or submission date).
LAG_WEEKS: dict[str, int] = {"referral_completion_rate": 5, "claim_denial_rate": 5}


def measure_of(kpi: str) -> Measure:
    return KPI_MEASURES.get(kpi, ("other", "higher"))[0]


def better_of(kpi: str) -> Better:
    return KPI_MEASURES.get(kpi, ("other", "higher"))[1]
