"""The close-out report of a finished plan, for the practice owner: baseline against the result with
its interval, the gate decisions, adoption, the money (expected, at each gate, realized) and what
was learned. Pure: the API gathers the plan's facts, this builds the report and renders its page.

The result is measured over the KPI weeks after the pilot (rollout and sustain) against the same
baseline and by the same method as the gate (gate.gate_evidence), so the two read alike.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from statistics import fmean
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel

from services.roadmap.plans import gate
from services.roadmap.plans import money as plan_money
from services.roadmap.plans.targets import target_value_text
from shared import formats
from shared.kpi_measures import measure_of
from shared.small_groups import NOT_SHOWN_PER_PERSON, shown_per_person

TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class Transition:
    phase: str
    previous_phase: str | None
    reason: str
    changed_at: datetime


@dataclass(frozen=True)
class CloseOutFacts:
    """What roadmap knows of a finished plan: initiative, review, history and the workflow's last status."""

    plan_id: str
    clinic_id: str
    clinic_name: str
    problem: str
    solution: str
    kpi: str
    owner: str
    outcome: str  # done | stopped
    approved_at: datetime | None
    target_change_pct: float
    baseline_days: float
    review: dict[str, Any]
    transitions: list[Transition]
    status: dict[str, Any] | None  # the workflow's status query (PlanStatus), None when no worker answered
    pilot_group_size: int | None = None  # the initiative's named pilot group; None when unknown


class GateRecord(BaseModel):
    """One gate: what the evidence said, and what the officer decided."""

    number: int
    outcome: str
    estimate_pct: float | None
    ci_low_pct: float | None
    ci_high_pct: float | None
    n_baseline: int
    n_pilot: int
    method: str
    summary: str
    decision: str


class CloseOutReport(BaseModel):
    """The close-out report (JSON; the same figures render as its HTML page)."""

    plan_id: str
    clinic_id: str
    clinic_name: str
    problem: str
    solution: str
    kpi: str
    owner: str
    outcome: str
    approved_at: datetime | None
    closed_at: datetime | None
    target_change_pct: float
    target_flag: str | None
    target_in_values: str  # the target in the KPI's own values, e.g. "29 % → 14.5 %" ("" without a baseline)
    target_history: list[dict[str, Any]]  # every target the plan had, oldest first (locked at the pilot)
    baseline: dict[str, Any]
    result: dict[str, Any] | None
    gates: list[GateRecord]
    signed_off_by: str
    signed_off_at: str
    adoption: dict[str, Any]
    money: dict[str, Any]
    learned: list[str]
    next_initiative: dict[str, str]
    warnings: list[str]
    complete: bool  # False when the workflow did not answer: the report then lacks its measured figures


def realized_result(facts: CloseOutFacts) -> dict[str, Any] | None:
    """The KPI's change over the weeks after the pilot, judged like the gate; None without such weeks."""
    status = facts.status or {}
    weeks = [week["week"] for week in status.get("outcome_weeks", [])]
    if not weeks:
        return None
    question = gate.question_of_status(
        status, kpi=facts.kpi, target_change_pct=facts.target_change_pct, baseline_days=facts.baseline_days
    )
    evidence = gate.realized_evidence(question, weeks)
    evidence["weeks"] = [weeks[0], weeks[-1]]
    return evidence


def measured_adoption(status: dict[str, Any], *, group_size: int | None = None) -> dict[str, Any]:
    """The share of the pilot group who used the tool, on average over the pilot's weeks and after them.

    Not for a named group under MIN_GROUP: "50 %" of two people says which one used it.
    """
    if group_size and not shown_per_person(group_size):
        return {"pilot": None, "after_pilot": None, "not_shown": NOT_SHOWN_PER_PERSON}
    after = {week["week"] for week in status.get("outcome_weeks", [])}
    pilot: list[float] = []
    later: list[float] = []
    for week in status.get("weeks", []):
        share = week.get("pilot_adoption")
        if share is None or week.get("baseline_week"):
            continue
        (later if week["week"] in after else pilot).append(share)
    return {
        "pilot": round(fmean(pilot), 3) if pilot else None,
        "after_pilot": round(fmean(later), 3) if later else None,
    }


def realized_money(
    approval_money: dict[str, Any] | None,
    *,
    result: dict[str, Any] | None,
    history: list[dict[str, Any]],
    target: float,
) -> dict[str, Any] | None:
    """The measured effect and its interval priced on the approval's basis: the weeks after the pilot,
    else the last gate that measured one (its estimate_pct, ci_low_pct, ci_high_pct); None without either."""
    if result is not None and result.get("estimate_pct") is not None:
        measured, basis = result, f"measured over {result['weeks'][0]} to {result['weeks'][1]}"
        status = plan_money.MEASURED
    else:
        gates = [
            (index, gate) for index, gate in enumerate(history, 1) if gate.get("estimate_pct") is not None
        ]
        if not gates:
            return None
        index, measured = gates[-1]
        basis, status = f"measured by the pilot at gate {index}", plan_money.PROJECTED_FROM_PILOT
    return plan_money.money_for_change(
        approval_money,
        target_pct=target,
        effect_pct=measured.get("estimate_pct"),
        low_pct=measured.get("ci_low_pct"),
        high_pct=measured.get("ci_high_pct"),
        basis=basis,
        status=status,
    ).as_dict()


def _target_in_values(kpi: str, baseline: float | None, change_pct: float) -> str:
    measure = measure_of(kpi)
    if baseline is None or measure not in ("rate", "duration"):
        return ""
    return target_value_text(measure=measure, baseline_value=baseline, change_pct=change_pct)


def _adoption_line(pilot: float | None, after: float | None, not_shown: str | None = None) -> str:
    """Adoption as measured (the pilot group's weekly use of the tool), never inferred from missing alerts."""
    if not_shown:
        return f"The pilot group's use of the tool: {not_shown}."
    if pilot is None and after is None:
        return "Adoption was not measured: no AI-tool feed reported the pilot group's use."
    during = (
        f"{pilot * 100:.0f} % of the pilot group used the tool each pilot week" if pilot is not None else ""
    )
    later = f"{after * 100:.0f} % each week after it" if after is not None else ""
    if after is None:
        return f"On average {during}."
    if pilot is None:
        return f"On average {after * 100:.0f} % of the pilot group used the tool each week after the pilot."
    kept = "held" if after >= 0.8 * pilot else "fell"
    return f"Adoption {kept}: on average {during}, {later}."


def _decisions(transitions: list[Transition]) -> list[str]:
    """What was decided at each gate, as the plan recorded it (the phase change out of evaluation)."""
    return [t.reason for t in transitions if t.previous_phase == "evaluation"]


def _learned(report: CloseOutReport) -> list[str]:
    """Plain sentences for the practice owner: did it work, was it kept up, what it is worth, what next."""
    lines = []
    result = report.result
    target = report.target_change_pct
    if result is not None and result.get("estimate_pct") is not None:
        estimate = result["estimate_pct"]
        if result.get("ci_low_pct") is not None:
            interval = f" (95 % interval {result['ci_low_pct']:+.1f} % to {result['ci_high_pct']:+.1f} %)"
        else:
            interval = " (weekly values only: no interval)"
        verdict = {
            "pass": "the target was reached",
            "fail": "the target was not reached, and the interval rules it out",
            "inconclusive": "the data cannot yet tell whether the target was reached",
        }[result["outcome"]]
        lines.append(
            f"After the pilot, {report.kpi} changed {estimate:+.1f} %{interval} against a target of "
            f"{target:+g} %: {verdict}."
        )
    elif report.outcome == "stopped":
        lines.append("The plan was stopped before rollout, so no result after the pilot was measured.")
    else:
        lines.append("No KPI weeks reached the plan after the pilot: the result could not be measured.")
    if (
        report.gates
        and result is not None
        and report.gates[-1].estimate_pct is not None
        and result.get("estimate_pct") is not None
    ):
        pilot, after = report.gates[-1].estimate_pct, result["estimate_pct"]
        held = "held" if abs(after) >= abs(pilot) * 0.8 and (after > 0) == (pilot > 0) else "faded"
        lines.append(f"The pilot measured {pilot:+.1f} %; the change {held} afterwards ({after:+.1f} %).")
    if report.target_flag:
        lines.append(f"The target was set beyond the published evidence: {report.target_flag}.")
    changes = [item["target_change_pct"] for item in report.target_history]
    if len(set(changes)) > 1:
        said = " → ".join(f"{change:+g} %" for change in changes)
        lines.append(f"The target changed before the pilot ({said}); the pilot was judged against the last.")
    if reason := report.baseline.get("no_baseline_reason"):
        lines.append(
            f"The pilot started without a baseline (the officer's reason: {reason}), so the result has "
            "no before to compare with."
        )
    adoption = report.adoption
    lines.append(
        _adoption_line(adoption.get("pilot"), adoption.get("after_pilot"), adoption.get("not_shown"))
    )
    if adoption.get("retrainings") or adoption.get("escalations"):
        lines.append(
            f"Keeping staff on the tool took {formats.plural(adoption.get('retrainings', 0), 'retraining')} "
            f"and {formats.plural(adoption.get('escalations', 0), 'escalation')} in sustain."
        )
    realized = report.money.get("realized") or {}
    if realized.get("benefit_per_week") is not None:
        low, high = realized.get("benefit_per_week_low"), realized.get("benefit_per_week_high")
        span = (
            f" (range {formats.money(low)} to {formats.money(high)})"
            if low is not None and high is not None
            else ""
        )
        lines.append(
            f"Realized ({realized['status']}): {realized.get('hours_freed_per_week') or 0:.1f} staff hours a "
            "week freed (capacity, not cash unless converted) and "
            f"{formats.money(realized.get('cash_per_week') or 0)} cash a week; together worth about "
            f"{formats.money(realized['benefit_per_week'])} a week{span}; "
            f"{realized['note']}."
        )
    if report.next_initiative.get("problem"):
        lines.append(f"Next: {report.next_initiative['problem']}.")
    return lines


def build_report(facts: CloseOutFacts) -> CloseOutReport:
    """The close-out report from a finished plan's facts."""
    status = facts.status or {}
    review = facts.review
    history = list(status.get("gate_history") or [])
    decisions = _decisions(facts.transitions)
    gates = [
        GateRecord(
            number=index,
            outcome=str(evidence.get("outcome", "")),
            estimate_pct=evidence.get("estimate_pct"),
            ci_low_pct=evidence.get("ci_low_pct"),
            ci_high_pct=evidence.get("ci_high_pct"),
            n_baseline=int(evidence.get("n_baseline") or 0),
            n_pilot=int(evidence.get("n_pilot") or 0),
            method=str(evidence.get("method", "")),
            summary=str(evidence.get("summary", "")),
            decision=decisions[index - 1] if index <= len(decisions) else "no decision recorded",
        )
        for index, evidence in enumerate(history, start=1)
    ]
    result = realized_result(facts)
    approval_money = review.get("money")
    realized = realized_money(approval_money, result=result, history=history, target=facts.target_change_pct)
    approved_baseline = review.get("baseline") or {}
    report = CloseOutReport(
        plan_id=facts.plan_id,
        clinic_id=facts.clinic_id,
        clinic_name=facts.clinic_name,
        problem=facts.problem,
        solution=facts.solution,
        kpi=facts.kpi,
        owner=facts.owner,
        outcome=facts.outcome,
        approved_at=facts.approved_at,
        closed_at=facts.transitions[-1].changed_at if facts.transitions else None,
        target_change_pct=facts.target_change_pct,
        target_flag=review.get("target_flag"),
        target_in_values=_target_in_values(facts.kpi, status.get("baseline_value"), facts.target_change_pct),
        target_history=list(status.get("target_history") or []),
        baseline={
            "value": status.get("baseline_value", approved_baseline.get("value")),
            "weekly_volume": status.get("baseline_weekly_volume", approved_baseline.get("weekly_volume")),
            "source": status.get("baseline_source") or approved_baseline.get("source") or "",
            "no_baseline_reason": status.get("no_baseline_reason") or review.get("no_baseline_reason") or "",
        },
        result=result,
        gates=gates,
        signed_off_by=str(status.get("signed_off_by", "")),
        signed_off_at=str(status.get("signed_off_at", "")),
        adoption={
            **measured_adoption(status, group_size=facts.pilot_group_size),
            "retrainings": status.get("retrainings", 0),
            "escalations": status.get("escalations", 0),
        },
        money={
            "expected_at_approval": approval_money,
            "at_gates": plan_money.money_at_gates(approval_money, history),
            "realized": realized,
        },
        learned=[],
        next_initiative={
            "id": str(status.get("next_initiative_id", "")),
            "problem": str(status.get("next_initiative_problem", "")),
        },
        warnings=list(review.get("warnings") or []),
        complete=facts.status is not None,
    )
    report.learned = _learned(report)
    return report


@cache
def _templates() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    # Money and counts read as on the portal's pages: "$1,250 a week", "1 retraining".
    env.filters.update(money=formats.money, plural=formats.plural)
    return env


def render_html(report: CloseOutReport) -> str:
    """The report as a standalone page (no scripts, printable) for the practice owner."""
    return _templates().get_template("close_out.html").render(report=report)
