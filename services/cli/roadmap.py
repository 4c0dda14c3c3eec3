"""`faio initiative ...` and `faio plan ...`: one problem first, from approval to rollout, at roadmap."""

from typing import Annotated, Any

import typer

from services.cli.client import JsonOption, TokenOption, call
from services.cli.clinic import NOT_YOURS, ClinicId
from services.cli.render import console, copyable, details, emit, fail, hint, number, table, when
from shared.api_client import roadmap
from shared.api_client.vocabulary import GATE_ACTIONS, PHASES_WITH_LENGTH, PlanChange, one_of
from shared.pseudonyms import pseudonym_problem

initiative_app = typer.Typer(
    help="Initiatives: the audit's findings as problems to solve, one at a time.", no_args_is_help=True
)
plan_app = typer.Typer(
    help="Implementation plans: baseline, preparation, pilot, gate, rollout, sustain.", no_args_is_help=True
)

UNKNOWN_INITIATIVE = "`faio initiative list <clinic-id>` shows a clinic's initiatives"
UNKNOWN_PLAN = "`faio plan list <clinic-id>` shows a clinic's plans"
InitiativeId = Annotated[
    str, typer.Argument(help="The initiative's id (see `faio initiative list`).", show_default=False)
]
PlanId = Annotated[
    str, typer.Argument(help="The plan's id (printed by `faio initiative approve`).", show_default=False)
]


def _show_initiative(initiative: dict[str, Any]) -> None:
    rows = [
        ("problem", initiative["problem"]),
        ("solution", initiative["solution"]),
        (
            "costs now",
            f"{number(initiative['hours_per_week'])} h, ${number(initiative['cost_per_week'])} a week",
        ),
        ("KPI", f"{initiative['kpi']} (suggested target {initiative['suggested_target_pct']:+g} %)"),
        (
            "integrates",
            f"{initiative['system']}: {initiative['integration_note'] or initiative['integrates']}",
        ),
        ("status", initiative["status"]),
        ("owner", initiative["owner"]),
        (
            "target",
            None if initiative["target_change_pct"] is None else f"{initiative['target_change_pct']:+g} %",
        ),
        ("why", initiative["reason"]),
    ]
    console.print(details(f"Initiative {initiative['id']}", rows))
    copyable("initiative id", initiative["id"])
    if initiative.get("plan_id"):
        copyable("plan id", initiative["plan_id"])


@initiative_app.command("list")
def list_initiatives(clinic_id: ClinicId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """Proposed initiatives from the latest assessment and audit, best first, and approved ones."""
    listing = call(roadmap.initiatives(clinic_id=clinic_id), token=token, not_found_hint=NOT_YOURS)

    def human() -> None:
        rows = [
            (
                i["id"],
                i["rank"],
                i["problem"] + (" (recommended)" if i["recommended"] else ""),
                i["kpi"],
                f"${number(i['cost_per_week'])}",
                i["status"],
            )
            for i in listing["initiatives"]
        ]
        columns = ("id", "rank", "problem", "KPI", "cost/week", "status")
        console.print(table(f"{len(rows)} initiative(s)", columns, rows))
        if listing["waiting_for"]:
            console.print(f"[yellow]waiting for:[/] {', '.join(listing['waiting_for'])}", highlight=False)
        if listing["recommendation"]:
            console.print(listing["recommendation"], highlight=False)
        if listing["recommended_id"]:
            copyable("recommended initiative id", listing["recommended_id"])
            recommended = listing["recommended_id"]
            hint(f"faio initiative approve {recommended} --owner <staff id> --target-change-pct <pct>")

    emit(listing, as_json=as_json, human=human)


@initiative_app.command("show")
def show_initiative(
    initiative_id: InitiativeId, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """One initiative: the five questions and where it stands."""
    asked = roadmap.initiative(initiative_id=initiative_id)
    initiative = call(asked, token=token, not_found_hint=UNKNOWN_INITIATIVE)
    emit(initiative, as_json=as_json, human=lambda: _show_initiative(initiative))


def _phase_days(values: list[str]) -> dict[str, float]:
    lengths: dict[str, float] = {}
    for value in values:
        phase, sep, days = value.partition("=")
        try:
            if not sep or phase not in PHASES_WITH_LENGTH:
                raise ValueError(phase)
            lengths[phase] = float(days)
        except ValueError:
            fail(
                f"--phase-days {value!r} is not PHASE=DAYS",
                hint=f"PHASE is one of {', '.join(PHASES_WITH_LENGTH)}; e.g. --phase-days pilot=42",
                code=2,
            )
    return lengths


def _refuse_names(*, owner: str, pilot: list[str]) -> None:
    """Checked here too, so a name never leaves the officer's machine: the same rule the services apply."""
    for option, value in [("--owner", owner), *(("--pilot", member) for member in pilot)]:
        problem = pseudonym_problem(value)
        if problem is not None:
            fail(f"{option} {problem}", hint=f"e.g. {option} staff-101", code=2)


@initiative_app.command("approve")
def approve_initiative(
    initiative_id: InitiativeId,
    *,
    owner: Annotated[
        str,
        typer.Option(
            help="Who owns it: a pseudonymous staff id (staff-101), never a name.", show_default=False
        ),
    ],
    target_change_pct: Annotated[
        float | None,
        typer.Option(
            help="The KPI target as a change, e.g. -30 for -30 % (default: the suggested one).",
            show_default=False,
        ),
    ] = None,
    pilot: Annotated[
        list[str] | None,
        typer.Option("--pilot", help="A pilot group member (staff id), repeatable.", show_default=False),
    ] = None,
    phase_days: Annotated[
        list[str] | None,
        typer.Option("--phase-days", help="PHASE=DAYS, repeatable, e.g. pilot=42.", show_default=False),
    ] = None,
    baseline_from_history_weeks: Annotated[
        int | None,
        typer.Option(
            "--baseline-from-history-weeks",
            min=1,
            max=26,
            help="The partner feed already holds this many weeks: measure the baseline on them "
            "instead of waiting for the baseline phase.",
            show_default=False,
        ),
    ] = None,
    no_baseline_reason: Annotated[
        str,
        typer.Option(
            "--no-baseline-reason",
            help="Why the pilot may start without any baseline (recorded with the plan).",
            show_default=False,
        ),
    ] = "",
    pilot_started_on: Annotated[
        str,
        typer.Option(
            "--pilot-started-on",
            help="A pilot already under way began on this day (YYYY-MM-DD, the clinic's own); with "
            "--baseline-from-history-weeks, its gate is judged once the pilot's length has passed.",
            show_default=False,
        ),
    ] = "",
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Approve one initiative (owner, target, pilot group) and start its implementation plan."""
    _refuse_names(owner=owner, pilot=pilot or [])
    if target_change_pct is None:
        asked = roadmap.initiative(initiative_id=initiative_id)
        proposed = call(asked, token=token, not_found_hint=UNKNOWN_INITIATIVE)
        target_change_pct = proposed["suggested_target_pct"]
    body: dict[str, Any] = {
        "owner": owner,
        "target_change_pct": target_change_pct,
        "pilot_group": pilot or [],
    }
    if phase_days:
        body["phase_days"] = _phase_days(phase_days)
    if baseline_from_history_weeks is not None:
        body["baseline_from_history_weeks"] = baseline_from_history_weeks
    if no_baseline_reason:
        body["no_baseline_reason"] = no_baseline_reason
    if pilot_started_on:
        body["pilot_started_on"] = pilot_started_on
    approval = roadmap.approve(initiative_id=initiative_id, approval=body)
    initiative = call(approval, token=token, not_found_hint=UNKNOWN_INITIATIVE)

    def human() -> None:
        _show_initiative(initiative)
        hint(f"faio plan show {initiative['plan_id']}")

    emit(initiative, as_json=as_json, human=human)


def _show_plan(plan: dict[str, Any]) -> None:
    live = plan.get("live") or {}
    rows: list[tuple[str, Any]] = [
        ("clinic", plan["clinic_id"]),
        ("problem", f"{plan['problem']} (KPI {plan['kpi']})"),
        ("phase", plan["phase"] + (" (paused)" if live.get("paused") else "")),
        ("started", when(plan["started_at"])),
    ]
    if live:
        rows += [
            ("day in phase", f"{live['day_in_phase']} of {number(live['phase_length_days'])}"),
            ("next", f"{live['next_milestone']} ({when(live['next_milestone_at'])})"),
            ("awaiting decision", "yes" if live["awaiting_decision"] else "no"),
            ("latest KPI", f"{live['latest_kpi_week'] or '-'}: {number(live['latest_kpi_value'])}"),
        ]
        if gate := live.get("gate_evidence"):
            rows.append(("gate", f"{gate['outcome']}: {gate['summary']}"))
            if gate.get("design"):
                rows.append(("gate design", gate["design"]))
    else:
        rows.append(("live status", "the plan's worker does not answer; the recorded phase is shown"))
    if buy_in := plan.get("buy_in"):
        survey = buy_in["survey"]
        said = "no survey answers yet" if survey is None else f"survey {survey['stage']}: {survey['message']}"
        if survey and survey["shown"]:
            score = number(survey["buy_in_score"])
            said = f"survey {survey['stage']}: buy-in {score} / 100 ({survey['message']})"
        rows.append(
            (
                "staff buy-in",
                f"{buy_in['communications_sent']} communication(s), {buy_in['trainings_held']} training(s), "
                f"{buy_in['staff_trained']} staff trained; {said}",
            )
        )
        if buy_in.get("survey_due"):
            rows.append(("survey due", f"faio plan buy-in survey {plan['id']} {buy_in['survey_due']}"))
    console.print(details(f"Plan {plan['id']}", rows))
    history = [(t["seq"], t["phase"], when(t["changed_at"]), t["reason"]) for t in plan["transitions"]]
    if history:
        console.print(table("History", ("#", "phase", "since", "why"), history))
    if plan["notices"]:
        notices = [(when(n["created_at"]), n["kind"], n["message"]) for n in plan["notices"]]
        console.print(table("Notices", ("when", "kind", "message"), notices))
    copyable("plan id", plan["id"])


@plan_app.command("list")
def list_plans(clinic_id: ClinicId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """A clinic's plans, oldest first."""
    plans = call(roadmap.plans(clinic_id=clinic_id), token=token, not_found_hint=NOT_YOURS)
    rows = [(p["id"], p["problem"], p["kpi"], p["phase"], when(p["started_at"])) for p in plans]
    columns = ("id", "problem", "KPI", "phase", "started")
    emit(plans, as_json=as_json, human=lambda: console.print(table(f"{len(plans)} plan(s)", columns, rows)))


@plan_app.command("show")
def show_plan(plan_id: PlanId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """A plan: phase, day in phase, next milestone, latest KPI, history and notices."""
    plan = call(roadmap.plan(plan_id=plan_id), token=token, not_found_hint=UNKNOWN_PLAN)
    emit(plan, as_json=as_json, human=lambda: _show_plan(plan))


@plan_app.command("decide")
def decide(
    plan_id: PlanId,
    action: Annotated[str, typer.Argument(help="continue, extend or stop.", show_default=False)],
    *,
    extend_days: Annotated[
        float, typer.Option(min=1, max=120, help="With extend: how many more pilot days.")
    ] = 21,
    note: Annotated[str, typer.Option(help="Why (kept with the plan; no patient data).")] = "",
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Your decision at the evaluation gate (only while the plan waits for one)."""
    chosen = one_of(action, GATE_ACTIONS)
    if chosen is None:
        fail(
            f"action {action!r} is not {', '.join(GATE_ACTIONS[:-1])} or {GATE_ACTIONS[-1]}",
            hint=f"faio plan decide {plan_id} extend --extend-days 21",
            code=2,
        )
    decision = roadmap.decide(plan_id=plan_id, action=chosen, extend_days=extend_days, note=note)
    result = call(decision, token=token, not_found_hint=UNKNOWN_PLAN)
    emit(
        result,
        as_json=as_json,
        human=lambda: console.print(f"[green]{action}[/]: {result['result']}", highlight=False),
    )


def _pause_or_resume(plan_id: str, change: PlanChange, token: str, as_json: bool) -> None:
    result = call(
        roadmap.change_plan(plan_id=plan_id, change=change), token=token, not_found_hint=UNKNOWN_PLAN
    )
    done = "paused: its clock stops until you resume it" if result["paused"] else "resumed"
    emit(result, as_json=as_json, human=lambda: console.print(f"plan {plan_id} {done}", highlight=False))


@plan_app.command("pause")
def pause(plan_id: PlanId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """Pause the plan's clock (e.g. a staff shortage); phases resume where they stopped."""
    _pause_or_resume(plan_id, "pause", token, as_json)


@plan_app.command("resume")
def resume(plan_id: PlanId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """Resume a paused plan."""
    _pause_or_resume(plan_id, "resume", token, as_json)
