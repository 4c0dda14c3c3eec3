"""The method's rules for initiatives, as pure functions: data in, data out.

The playbook of each kind of problem (KPI, target, the system it must talk to), the ranking by
impact x readiness, and the five questions every initiative answers before anything is bought.
Nothing here touches a database, a broker or a clock.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from services.roadmap.clinics import normalise_category
from shared.events.kpi import KpiName

# The five questions every initiative answers before anything is bought.
FIVE_QUESTIONS = ("problem", "cost", "owner", "measure", "integration")


@dataclass(frozen=True)
class KpiPlaybook:
    """How the method measures one kind of problem, and which system it must talk to."""

    kpi: KpiName
    target_change_pct: float
    system: str  # the kind of clinic system (emr, phone, scheduling) the solution integrates with
    solution: str


# Phone work is judged by the calls nobody answered (missed or abandoned), as the method's -50 %.
PHONE_PLAYBOOK = KpiPlaybook("missed_call_rate", -50.0, "phone", "AI receptionist")
# Reminders by the visits missed, counted on the visit's date.
REMINDER_PLAYBOOK = KpiPlaybook("no_show_rate", -20.0, "scheduling", "automated appointment reminders")
# Audit categories (normalised) -> KPI with the method's suggested target.
PLAYBOOKS: dict[str, KpiPlaybook] = {
    # -10 %: the controlled evidence (UCLA P-RCT -9.5 %, five-system DiD -10 %), not the method's -30 %.
    "documentation": KpiPlaybook("documentation_minutes_per_note", -10.0, "emr", "AI scribe"),
    "patient_communication": KpiPlaybook(
        "messages_answered_within_business_day", 25.0, "emr", "AI patient messaging assistant"
    ),
    # Each problem is judged by the work it is about, from the partner events that count it (kpi's
    # kpis.yaml); targets are starting points for the officer, not published effects, except where
    # the evidence names one (documentation; reminders: SMS reminders' RR 0.77 for non-attendance).
    "follow_up_calls": KpiPlaybook("followups_completed", 30.0, "phone", "AI outbound follow-up calls"),
    "appointment_scheduling": KpiPlaybook("self_scheduled_share", 30.0, "scheduling", "self-scheduling"),
    "referral_coordination": KpiPlaybook(
        "referral_completion_rate", 20.0, "scheduling", "referral coordination automation"
    ),
    "insurance_verification": KpiPlaybook(
        "minutes_per_eligibility_check", -30.0, "emr", "eligibility automation"
    ),
    "billing": KpiPlaybook("claim_denial_rate", -20.0, "emr", "billing automation"),
    "marketing": KpiPlaybook("new_patient_requests", 20.0, "scheduling", "marketing automation"),
    # No partner event counts admin work: the hours on the task, re-measured by a short time audit.
    "internal_admin": KpiPlaybook("task_hours_per_week", -30.0, "emr", "AI assistant for admin work"),
}
# Problems an officer names by the work rather than an audit category.
NAMED_PROBLEMS: dict[str, KpiPlaybook] = {
    "phone_calls": PHONE_PLAYBOOK,
    "phone_work": PHONE_PLAYBOOK,
    "appointment_reminders": REMINDER_PLAYBOOK,
    "reminders": REMINDER_PLAYBOOK,
}
FALLBACK_PLAYBOOK = KpiPlaybook("task_hours_per_week", -30.0, "emr", "AI assistant")
# Within a problem the kind of solution decides what it changes: a tool that answers the phone
# cuts missed calls (the method's -50 %), reminders cut no-shows. Used only when the solution
# names one kind (the audit's scheduling text names both, and keeps the problem's own KPI).
SOLUTION_PLAYBOOKS: tuple[tuple[tuple[str, ...], KpiPlaybook], ...] = (
    (("receptionist", "phone agent", "answers inbound", "call answering", "missed call"), PHONE_PLAYBOOK),
    (("reminder",), REMINDER_PLAYBOOK),
)


def playbook_for(category: str, solution: str = "") -> KpiPlaybook:
    """The problem's playbook, or the one of the kind of solution chosen for it when that is clear."""
    text = solution.lower()
    named = [playbook for words, playbook in SOLUTION_PLAYBOOKS if any(word in text for word in words)]
    if len(named) == 1:
        return named[0]
    key = normalise_category(category)
    return PLAYBOOKS.get(key) or NAMED_PROBLEMS.get(key, FALLBACK_PLAYBOOK)


@dataclass(frozen=True)
class Candidate:
    """An automation candidate from the latest audit (the fields the roadmap needs)."""

    category: str
    solution: str
    hours_per_week: float
    cost_per_week: float
    predictability: float
    hours_saved_low: float
    hours_saved_high: float


@dataclass(frozen=True)
class Proposal:
    """One proposed initiative: the five questions answered as far as data allows."""

    rank: int
    problem: str
    solution: str
    hours_per_week: float
    cost_per_week: float
    kpi: KpiName
    suggested_target_pct: float
    system: str
    integrates: bool | None  # None: the clinic's systems are unknown, the question has no answer
    integration_note: str
    impact_per_week: float
    readiness: float
    score: float
    recommended: bool
    reason: str


# Intake's dimension for data and integration readiness (questionnaire v1: "Data & integration readiness").
INTEGRATION_DIMENSION = "data"


def readiness_of(
    *, overall_score: float | None, dimension_scores: dict[str, float], integrates: bool | None
) -> float:
    """0-1: how ready the clinic is for this initiative (assessment, integration readiness, systems)."""
    if overall_score is None:
        base = 0.5  # no assessment yet: neither ready nor unready
    else:
        base = overall_score / 100
        integration = dimension_scores.get(INTEGRATION_DIMENSION)
        if integration is not None:
            base = (base + integration / 100) / 2
    if integrates is False:
        base *= 0.5  # the solution cannot talk to the clinic's systems yet: extra work first
    elif integrates is None:
        base *= 0.75
    return round(base, 3)


def propose_initiatives(
    *,
    candidates: list[Candidate],
    systems: dict[str, str],
    overall_score: float | None,
    dimension_scores: dict[str, float],
    emphasis: Mapping[str, tuple[float, str]] | None = None,
    integration: Mapping[str, tuple[bool | None, str]] | None = None,
) -> list[Proposal]:
    """Initiatives from audit candidates, ranked by impact x readiness; the first is recommended.

    `emphasis` (per normalised category: a factor and a citation) is the strategy map's weight;
    `integration` (per category) is the solution catalog's check of vetted vendors against the
    clinic's systems, which replaces the mere "is there a system of this kind".
    """
    scored: list[tuple[float, Candidate, KpiPlaybook, bool | None, str, float, float]] = []
    known_systems = {kind.lower(): vendor for kind, vendor in systems.items()}
    for candidate in candidates:
        playbook = playbook_for(candidate.category, candidate.solution)
        category = normalise_category(candidate.category)
        if integration and category in integration:
            integrates, note = integration[category]
        elif not known_systems:
            integrates, note = None, "the clinic's systems are not recorded yet"
        elif playbook.system in known_systems:
            integrates, note = True, f"integrates with {playbook.system} ({known_systems[playbook.system]})"
        else:
            integrates, note = False, f"no {playbook.system} system recorded: integration work needed first"
        saved = (candidate.hours_saved_low + candidate.hours_saved_high) / 2
        share = min(saved / candidate.hours_per_week, 1.0) if candidate.hours_per_week > 0 else 0.0
        impact = round(candidate.cost_per_week * share, 2)
        readiness = readiness_of(
            overall_score=overall_score, dimension_scores=dimension_scores, integrates=integrates
        )
        weight = (emphasis or {}).get(category, (1.0, ""))[0]
        scored.append((impact * readiness * weight, candidate, playbook, integrates, note, impact, readiness))
    scored.sort(key=lambda item: (-item[0], -item[1].cost_per_week, item[1].category))
    proposals = []
    for rank, (score, candidate, playbook, integrates, note, impact, readiness) in enumerate(scored, start=1):
        if rank == 1:
            reason = (
                f"highest impact x readiness: saves about {impact:.0f}/week of {candidate.cost_per_week:.0f}"
                f"/week spent on {candidate.category}, readiness {readiness:.0%}; {note}"
            )
        else:
            reason = f"impact {impact:.0f}/week x readiness {readiness:.0%}; {note}"
        citation = (emphasis or {}).get(normalise_category(candidate.category), (1.0, ""))[1]
        if citation:
            reason += f"; {citation}"
        proposals.append(
            Proposal(
                rank=rank,
                problem=candidate.category,
                solution=candidate.solution or playbook.solution,
                hours_per_week=candidate.hours_per_week,
                cost_per_week=candidate.cost_per_week,
                kpi=playbook.kpi,
                suggested_target_pct=playbook.target_change_pct,
                system=playbook.system,
                integrates=integrates,
                integration_note=note,
                impact_per_week=impact,
                readiness=readiness,
                score=round(score, 2),
                recommended=rank == 1,
                reason=reason,
            )
        )
    return proposals


def unanswered_questions(
    *,
    problem: str,
    cost_per_week: float | None,
    owner: str,
    kpi: str,
    target_change_pct: float | None,
    integrates: bool | None,
    integration_note: str = "",
    integration_exception: str = "",
) -> list[str]:
    """Which of the five questions still have no answer (empty: the initiative may start).

    "Does it integrate: no" is an answer that stops the approval unless the officer records why
    the pilot may go ahead anyway (integration_exception): double entry is how pilots fail.
    """
    missing = []
    if not problem.strip():
        missing.append("problem: what problem does it solve?")
    if cost_per_week is None or cost_per_week <= 0:
        missing.append("cost: what does the problem cost now? (run the audit)")
    if not owner.strip():
        missing.append("owner: who owns it?")
    if not kpi or target_change_pct is None or target_change_pct == 0:
        missing.append("measure: which KPI and which target measure success?")
    if integrates is None:
        missing.append("integration: does it integrate with the clinic's systems? (record them at intake)")
    elif integrates is False and not integration_exception.strip():
        because = f" ({integration_note})" if integration_note else ""
        missing.append(
            f"integration_exception: the solution does not integrate with the clinic's systems{because}; "
            "choose a vendor that does, or record why the pilot may go ahead in integration_exception"
        )
    return missing
