"""`faio assessment ...`: the AI Readiness Assessment, at the intake service."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from services.cli.client import JsonOption, TokenOption, call
from services.cli.clinic import NOT_YOURS, ClinicId
from services.cli.render import console, emit, fail, hint, table, when
from shared.api_client import intake

assessment_app = typer.Typer(help="The AI Readiness Assessment.", no_args_is_help=True)


def read_answers(path: Path) -> dict[str, Any]:
    """A YAML or JSON file: either {answers: {...}, questionnaire_version: v1} or just the answers."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))  # YAML is a superset of JSON
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror}", hint="check the file's path", code=2)
    except yaml.YAMLError as error:
        fail(
            f"{path} is not valid YAML or JSON: {error}",
            hint="`faio assessment questionnaire --template`",
            code=2,
        )
    if not isinstance(data, dict):
        fail(
            f"{path} must hold a mapping of question id -> answer",
            hint="`faio assessment questionnaire --template`",
            code=2,
        )
    return data if "answers" in data else {"answers": data}


def _accepted(question: dict[str, Any]) -> str:
    if question["type"] == "scale":
        return "0-4"
    return " | ".join(option["id"] for option in question["options"])


def _show_scores(assessment: dict[str, Any], labels: dict[str, str]) -> None:
    scores = [(labels.get(d, d), f"{score:.1f}") for d, score in assessment["dimension_scores"].items()]
    title = f"Readiness: {assessment['level']} (overall {assessment['overall_score']:.1f}/100)"
    console.print(table(title, ("dimension", "score"), scores))
    gaps = [
        (labels.get(g["dimension"], g["dimension"]), f"{g['score']:.1f}", g["next_action"])
        for g in assessment["top_gaps"]
    ]
    console.print(table("Largest gaps and next actions", ("dimension", "score", "next action"), gaps))
    if assessment.get("level_capped_by"):
        console.print(f"[yellow]Level capped:[/] {assessment['level_capped_by']}", highlight=False)
    if assessment.get("change_from_previous") is not None:
        console.print(f"Change since the previous assessment: {assessment['change_from_previous']:+.1f}")


@assessment_app.command("questionnaire")
def show_questionnaire(
    token: TokenOption = "",
    as_template: Annotated[
        bool, typer.Option("--template", help="Print a YAML answer file to fill in instead of a table.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """The questions, and what each accepts as an answer."""
    questionnaire = call(intake.questionnaire(), token=token)
    if as_template and not as_json:
        print(f"questionnaire_version: {json.dumps(questionnaire['version'])}\nanswers:")
        for question in questionnaire["questions"]:
            print(f"  # {question['text']}\n  # {_accepted(question)}\n  {question['id']}:")
        return
    rows = [(q["id"], q["dimension"], q["text"], _accepted(q)) for q in questionnaire["questions"]]
    emit(
        questionnaire,
        as_json=as_json,
        human=lambda: console.print(
            table(
                f"{questionnaire['title']} ({questionnaire['version']})",
                ("id", "dimension", "question", "answer with"),
                rows,
            )
        ),
    )


@assessment_app.command("submit")
def submit_assessment(
    clinic_id: ClinicId,
    file: Annotated[Path, typer.Argument(help="YAML or JSON: question id -> answer.", show_default=False)],
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Score a completed questionnaire for a clinic."""
    body = read_answers(file)
    submitted = intake.submit_assessment(clinic_id=clinic_id, submission=body)
    assessment = call(submitted, token=token, not_found_hint=NOT_YOURS)
    if as_json:
        emit(assessment, as_json=True, human=lambda: None)
        return
    version = assessment["questionnaire_version"]
    questionnaire = call(intake.questionnaire(version=version), token=token)
    _show_scores(assessment, {d["id"]: d["label"] for d in questionnaire["dimensions"]})
    hint(f"faio audit open {clinic_id}")


@assessment_app.command("history")
def assessment_history(clinic_id: ClinicId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """Every assessment of a clinic, oldest first."""
    assessments = call(intake.assessments(clinic_id=clinic_id), token=token, not_found_hint=NOT_YOURS)
    rows = [
        (
            when(a["completed_at"]),
            a["questionnaire_version"],
            f"{a['overall_score']:.1f}",
            None if a["change_from_previous"] is None else f"{a['change_from_previous']:+.1f}",
            a["level"],
        )
        for a in assessments
    ]
    columns = ("completed", "version", "overall", "change", "level")
    emit(
        assessments,
        as_json=as_json,
        human=lambda: console.print(table(f"{len(assessments)} assessment(s)", columns, rows)),
    )
