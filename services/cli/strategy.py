"""`faio strategy ...`: the practice-wide strategy interview and its map, at roadmap."""

from typing import Annotated, Any

import typer

from services.cli.client import JsonOption, TokenOption, call
from services.cli.clinic import NOT_YOURS, ClinicId
from services.cli.render import console, emit, fail, hint, table
from shared.api_client import roadmap

strategy_app = typer.Typer(
    help="The strategy map: nine areas x four questions with the practice, scored with the audit.",
    no_args_is_help=True,
)
AREAS = (
    "patient_acquisition",
    "retention",
    "documentation",
    "scheduling",
    "billing",
    "communication",
    "marketing",
    "analytics",
    "operations",
)
QUESTION_OPTIONS = {
    "staff_time": "staff_time",
    "friction": "patient_friction",
    "revenue": "missed_revenue",
    "burnout": "burnout",
}


def _rating(help_text: str) -> Any:
    return typer.Option(
        min=0, max=3, help=f"{help_text} (0 none, 1 low, 2 medium, 3 high).", show_default=False
    )


@strategy_app.command("rate")
def rate_area(
    clinic_id: ClinicId,
    area: Annotated[str, typer.Argument(help=f"One of: {', '.join(AREAS)}.", show_default=False)],
    *,
    staff_time: Annotated[int | None, _rating("Where staff lose time")] = None,
    friction: Annotated[int | None, _rating("Where patients hit friction")] = None,
    revenue: Annotated[int | None, _rating("Where revenue is missed")] = None,
    burnout: Annotated[int | None, _rating("Where burnout occurs")] = None,
    note: Annotated[
        str, typer.Option(help="A short note for these answers: roles and tasks, never patient details.")
    ] = "",
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Rate one area of the practice on the four questions; the proposals are re-ranked by the map."""
    if area not in AREAS:
        fail(f"unknown area {area!r}", hint=f"choose one of: {', '.join(AREAS)}", code=2)
    given = {"staff_time": staff_time, "friction": friction, "revenue": revenue, "burnout": burnout}
    answers = [
        {"area": area, "question": QUESTION_OPTIONS[option], "rating": rating, "note": note}
        for option, rating in given.items()
        if rating is not None
    ]
    if not answers:
        fail(
            "no rating given",
            hint="give at least one of --staff-time, --friction, --revenue, --burnout",
            code=2,
        )
    answered = roadmap.answer_interview(clinic_id=clinic_id, answers=answers)
    interview = call(answered, token=token, not_found_hint=NOT_YOURS)

    def human() -> None:
        console.print(f"{len(interview['answers'])} of 36 answers recorded.", highlight=False)
        hint(f"faio strategy map {clinic_id}")

    emit(interview, as_json=as_json, human=human)


@strategy_app.command("map")
def show_map(clinic_id: ClinicId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """Per area a score (0-100), its evidence and candidate initiatives; and the first problem."""
    strategy = call(roadmap.strategy_map(clinic_id=clinic_id), token=token, not_found_hint=NOT_YOURS)

    def human() -> None:
        rows = [
            (
                area["label"],
                "-" if area["score"] is None else f"{area['score']:.0f}",
                f"{area['hours_per_week']:.1f}",
                "-" if area["readiness"] is None else f"{area['readiness']:.0f}",
                "; ".join(area["evidence"][:3]),
                ", ".join(i["problem"] for i in area["initiatives"]),
            )
            for area in strategy["areas"]
        ]
        columns = ("area", "score", "h/week", "readiness", "evidence", "initiatives")
        console.print(table(f"Strategy map ({strategy['answered']}/36 answered)", columns, rows))
        if strategy["first_reason"]:
            console.print(f"[bold]first problem:[/] {strategy['first_reason']}", highlight=False)
        for missing in strategy["waiting_for"]:
            console.print(f"[yellow]waiting for:[/] {missing}", highlight=False)

    emit(strategy, as_json=as_json, human=human)


@strategy_app.command("interview")
def show_interview(clinic_id: ClinicId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """The answers given so far, with their notes (the notes stay at roadmap)."""
    interview = call(roadmap.strategy_interview(clinic_id=clinic_id), token=token, not_found_hint=NOT_YOURS)

    def human() -> None:
        ratings = interview["ratings"]
        rows = [
            (
                interview["areas"][answer["area"]],
                interview["questions"][answer["question"]],
                ratings[answer["rating"]],
                answer["note"],
            )
            for answer in interview["answers"]
        ]
        console.print(table(f"{len(rows)} of 36 answers", ("area", "question", "rating", "note"), rows))
        if len(rows) < 36:
            hint(
                f"faio strategy rate {clinic_id} <area> --staff-time 0-3 --friction 0-3 "
                "--revenue 0-3 --burnout 0-3"
            )

    emit(interview, as_json=as_json, human=human)
