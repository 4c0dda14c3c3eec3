"""`faio plan buy-in ...`: staff buy-in of a plan at roadmap - what staff were told, who was trained,
the anonymous survey's rounds and (once a round closes with five answers) its results."""

from typing import Annotated, Any, get_args

import typer

from services.cli.client import JsonOption, TokenOption, call
from services.cli.render import console, copyable, details, emit, fail, hint, number, table, when
from services.cli.roadmap import UNKNOWN_PLAN, PlanId
from shared.api_client import roadmap
from shared.api_client.vocabulary import one_of
from shared.events.buy_in import COMMUNICATION_KINDS, MIN_RESPONSES_TO_SHOW, STAFF_AUDIENCES, SurveyStage
from shared.pseudonyms import pseudonym_problem

buy_in_app = typer.Typer(
    help="Staff buy-in of a plan: communications, training and attendance, the anonymous survey.",
    no_args_is_help=True,
)
STAGES: tuple[SurveyStage, ...] = get_args(SurveyStage)


def _show(view: dict[str, Any]) -> None:
    ready = "yes" if view["preparation_ready"] else "no: needs " + " and ".join(view["preparation_missing"])
    if view["waiver"]:
        without = " and ".join(view["preparation_missing"]) or "nothing"
        ready = f"yes, without {without}: {view['waiver']['reason']}"
    console.print(
        details(
            f"Buy-in of plan {view['plan_id']} ({view['phase']})",
            [("may leave preparation", ready), ("staff trained", view["staff_trained"])],
        )
    )
    if view["communications"]:
        sent = [(when(c["sent_at"]), c["kind"], ", ".join(c["audiences"])) for c in view["communications"]]
        console.print(table("Communications", ("sent", "kind", "to"), sent))
    if view["trainings"]:
        sessions = [
            (
                t["id"],
                t["kind"] + (" (adoption alert)" if t["booked_by_alert"] else ""),
                t["status"],
                t["held_on"] or "-",
                ", ".join(t["attendees"]) or "-",
            )
            for t in view["trainings"]
        ]
        console.print(table("Training", ("id", "kind", "status", "day", "attended"), sessions))
    for survey in view["surveys"]:
        results = survey["results"]
        state = f"open until {when(survey['expires_at'])}" if survey["open"] else "closed"
        state += f", {survey['links_issued']} link(s) issued"
        console.print(f"[bold]Survey {survey['stage']}[/] ({state}): {results['message']}", highlight=False)
        if results["shown"]:
            rows = [
                (
                    q["question"],
                    "-" if q["mean"] is None else number(q["mean"]),  # coarsened: see agree
                    q["agree"],
                    "yes" if q["worse_when_agreed"] else "",
                )
                for q in results["questions"]
            ]
            console.print(
                table(
                    f"buy-in score {number(results['buy_in_score'])} / 100",
                    ("question", "mean 1-5", "agree", "worse if agreed"),
                    rows,
                )
            )
        _print_links(survey)


def _print_links(survey: dict[str, Any]) -> None:
    """The links just issued, one per person (faio keeps only their hashes: copy them now)."""
    for number_, link in enumerate(survey.get("links", []), start=1):
        copyable(f"link for {link['roster'] or f'person {number_}'}", link["link_url"])


@buy_in_app.command("show")
def show(plan_id: PlanId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """Communications, training with attendance, the waiver and the survey rounds."""
    view = call(roadmap.buy_in(plan_id=plan_id), token=token, not_found_hint=UNKNOWN_PLAN)
    emit(view, as_json=as_json, human=lambda: _show(view))


@buy_in_app.command("communicate")
def communicate(
    plan_id: PlanId,
    kind: Annotated[
        str, typer.Argument(help=f"One of: {', '.join(COMMUNICATION_KINDS)}.", show_default=False)
    ],
    *,
    to: Annotated[
        list[str], typer.Option("--to", help=f"Who it went to, repeatable: {', '.join(STAFF_AUDIENCES)}.")
    ],
    sent_at: Annotated[str, typer.Option(help="When it was sent (ISO 8601); now if left out.")] = "",
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Record a communication sent to staff: what (a kind from the list), to which roles, when."""
    what = one_of(kind, COMMUNICATION_KINDS)
    if what is None:
        fail(
            f"kind {kind!r} is not one of the list", hint=f"one of: {', '.join(COMMUNICATION_KINDS)}", code=2
        )
    audiences = [one_of(role, STAFF_AUDIENCES) for role in to]
    unknown = [role for role, audience in zip(to, audiences, strict=True) if audience is None]
    if unknown:
        fail(
            f"--to {unknown[0]!r} is not a role faio knows",
            hint=f"one of: {', '.join(STAFF_AUDIENCES)}",
            code=2,
        )
    sent_to = [audience for audience in audiences if audience is not None]
    recorded = roadmap.record_communication(
        plan_id=plan_id, kind=what, audiences=sent_to, sent_at=sent_at or None
    )
    sent = call(recorded, token=token, not_found_hint=UNKNOWN_PLAN)
    emit(
        sent,
        as_json=as_json,
        human=lambda: console.print(f"recorded: {kind} to {', '.join(to)}", highlight=False),
    )


def _refuse_names(staff: list[str]) -> None:
    for member in staff:
        if problem := pseudonym_problem(member):
            fail(f"--attended {problem}", hint="faio keeps staff pseudonyms only (ma-12, dr-7)", code=2)


@buy_in_app.command("train")
def train(
    plan_id: PlanId,
    *,
    attended: Annotated[
        list[str] | None, typer.Option("--attended", help="A staff pseudonym who attended, repeatable.")
    ] = None,
    booked: Annotated[bool, typer.Option("--booked", help="Booked, not held yet (no attendance).")] = False,
    on: Annotated[str, typer.Option("--on", help="The day (YYYY-MM-DD); today if left out.")] = "",
    retraining: Annotated[bool, typer.Option(help="A retraining rather than a first training.")] = False,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Record a training session: held with who attended, or booked for a day."""
    staff = attended or []
    _refuse_names(staff)
    training = roadmap.record_training(
        plan_id=plan_id,
        kind="retraining" if retraining else "training",
        status="booked" if booked else "held",
        attendees=staff,
        held_on=on or None,
    )
    session = call(training, token=token, not_found_hint=UNKNOWN_PLAN)

    def human() -> None:
        console.print(
            f"{session['kind']} {session['status']}: {len(session['attendees'])} attended", highlight=False
        )
        copyable("session id", session["id"])
        if booked:
            hint(f"faio plan buy-in attend {plan_id} {session['id']} --attended ma-1")

    emit(session, as_json=as_json, human=human)


@buy_in_app.command("attend")
def attend(
    plan_id: PlanId,
    session_id: Annotated[str, typer.Argument(help="The session's id (see `faio plan buy-in show`).")],
    *,
    attended: Annotated[list[str], typer.Option("--attended", help="A staff pseudonym, repeatable.")],
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Who attended a session (a booked retraining becomes held)."""
    _refuse_names(attended)
    session = call(
        roadmap.record_attendance(plan_id=plan_id, training_id=session_id, attendees=attended),
        token=token,
        not_found_hint="`faio plan buy-in show <plan-id>` lists the plan's sessions",
    )
    emit(
        session, as_json=as_json, human=lambda: console.print(f"attended: {', '.join(session['attendees'])}")
    )


@buy_in_app.command("waive")
def waive(
    plan_id: PlanId,
    reason: Annotated[str, typer.Argument(help="Why the plan may go on without them (no patient data).")],
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Let the plan leave preparation without a communication or training, saying why."""
    waiver = call(
        roadmap.waive_preparation(plan_id=plan_id, reason=reason), token=token, not_found_hint=UNKNOWN_PLAN
    )
    emit(waiver, as_json=as_json, human=lambda: console.print("recorded: the plan may leave preparation"))


@buy_in_app.command("survey")
def survey(
    plan_id: PlanId,
    stage: Annotated[str, typer.Argument(help=f"One of: {', '.join(STAGES)}.", show_default=False)],
    *,
    open_days: Annotated[int, typer.Option(min=1, max=60, help="How long the links work.")] = 14,
    links: Annotated[
        int | None,
        typer.Option(
            min=1, max=500, help="How many people to ask; left out, one per person on the plan's roster."
        ),
    ] = None,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Open the stage's anonymous buy-in survey: one single-use link per person, printed once."""
    round_of = one_of(stage, STAGES)
    if round_of is None:
        fail(
            f"stage {stage!r} is not one of {', '.join(STAGES)}",
            hint=f"faio plan buy-in survey {plan_id} before_pilot",
            code=2,
        )
    opening = roadmap.open_survey_round(plan_id=plan_id, stage=round_of, open_days=open_days, links=links)
    opened = call(opening, token=token, not_found_hint=UNKNOWN_PLAN)

    def human() -> None:
        console.print(
            f"survey {stage} open until {when(opened['expires_at'])}; results show from 5 answers, "
            "once it closes (at the end of its phase, or `faio plan buy-in revoke`)",
            highlight=False,
        )
        _print_links(opened)
        issued = opened["links_issued"]
        console.print(f"{issued} single-use link(s): hand one to each person; they are not shown again")
        if issued < MIN_RESPONSES_TO_SHOW:
            hint(
                f"results need {MIN_RESPONSES_TO_SHOW} answers: ask more colleagues with "
                f"`faio plan buy-in links {plan_id} {opened['id']} --count 3`"
            )
        else:
            hint(f"faio plan buy-in links {plan_id} {opened['id']} --count 3  # more links for this round")

    emit(opened, as_json=as_json, human=human)


@buy_in_app.command("links")
def more_links(
    plan_id: PlanId,
    round_id: Annotated[str, typer.Argument(help="The survey round's id.")],
    *,
    count: Annotated[int, typer.Option(min=1, max=500, help="How many more people to ask.")] = 1,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """More single-use links for an open survey round (a colleague joined, a link was lost)."""
    issued = call(
        roadmap.more_survey_links(plan_id=plan_id, round_id=round_id, links=count),
        token=token,
        not_found_hint=UNKNOWN_PLAN,
    )
    emit(issued, as_json=as_json, human=lambda: _print_links(issued))


@buy_in_app.command("revoke")
def revoke(
    plan_id: PlanId,
    round_id: Annotated[str, typer.Argument(help="The survey round's id.")],
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Close a survey round early: its links open nothing from now on, and its results can show."""
    revoked = call(
        roadmap.revoke_survey_round(plan_id=plan_id, round_id=round_id),
        token=token,
        not_found_hint=UNKNOWN_PLAN,
    )
    emit(
        revoked,
        as_json=as_json,
        human=lambda: console.print(f"survey {revoked['stage']} closed: {revoked['results']['message']}"),
    )
