"""`faio officer|clinic|assessment ...`: the officer's side of the intake service.

`officer create` writes straight into intake's database (it runs before anyone has a token);
everything else talks HTTP to the intake service at FAIO_INTAKE_URL with the officer's token
(--token or FAIO_TOKEN), and prints tables.
"""

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from services.intake import service
from services.intake.models import Officer, OfficerCreate
from services.intake.settings import IntakeSettings
from shared import db
from shared.auth import issue_token

MIGRATIONS = Path(service.__file__).parent / "migrations"

officer_app = typer.Typer(help="Officers: who may use faio.", no_args_is_help=True)
clinic_app = typer.Typer(help="Clinics in your portfolio.", no_args_is_help=True)
assessment_app = typer.Typer(help="The AI Readiness Assessment.", no_args_is_help=True)

console = Console()
errors = Console(stderr=True)

TokenOption = Annotated[
    str,
    typer.Option(
        "--token", envvar="FAIO_TOKEN", help="Your officer token (or set FAIO_TOKEN).", show_default=False
    ),
]


def fail(message: str, *, hint: str = "", code: int = 1) -> NoReturn:
    """Print what went wrong and what to do next, then exit."""
    errors.print(f"[bold red]error:[/] {message}")
    if hint:
        errors.print(f"[yellow]next:[/] {hint}")
    raise typer.Exit(code)


# --- officers (straight into intake's database) ---------------------------------------------


async def _store_officer(settings: IntakeSettings, officer_in: OfficerCreate) -> Officer:
    await db.migrate(settings.resolved_database_url, MIGRATIONS)
    engine = db.create_engine(settings.resolved_database_url)
    try:
        async with db.create_session_factory(engine)() as session:
            return await service.create_officer(session=session, officer_in=officer_in)
    finally:
        await engine.dispose()


async def _all_officers(settings: IntakeSettings) -> list[Officer]:
    await db.migrate(settings.resolved_database_url, MIGRATIONS)
    engine = db.create_engine(settings.resolved_database_url)
    try:
        async with db.create_session_factory(engine)() as session:
            return await service.list_officers(session=session)
    finally:
        await engine.dispose()


@officer_app.command("create")
def create_officer(
    name: Annotated[str, typer.Option(help="The officer's full name.")],
    email: Annotated[str, typer.Option(help="The officer's email (one officer per email).")],
) -> None:
    """Create an officer and print their bearer token (shown only this once)."""
    try:
        officer_in = OfficerCreate(name=name, email=email)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        fail(f"invalid officer: {problems}", hint="pass --name 'Full Name' --email name@example.org", code=2)
    settings = IntakeSettings()
    try:
        officer = asyncio.run(_store_officer(settings, officer_in))
    except service.OfficerExists:
        fail(
            f"an officer with email {officer_in.email} already exists", hint="`faio officer list` shows them"
        )
    token = issue_token(settings, officer_id=officer.id, name=officer.name)

    table = Table(title="Officer created")
    for column in ("id", "name", "email"):
        table.add_column(column)
    table.add_row(officer.id, officer.name, officer.email)
    console.print(table)
    console.print("[bold]Token[/] (shown once; it cannot be displayed again):")
    # Printed bare, without rich markup or wrapping, so it can be copied or captured whole.
    print(token)
    console.print(
        f"[dim]Use it with: export FAIO_TOKEN=<token>   (valid {settings.token_lifetime_days} days)[/]"
    )


@officer_app.command("list")
def list_officers() -> None:
    """Every officer in intake's database (never their tokens)."""
    officers = asyncio.run(_all_officers(IntakeSettings()))
    table = Table(title=f"{len(officers)} officer(s)")
    for column in ("id", "name", "email", "created"):
        table.add_column(column)
    for officer in officers:
        table.add_row(officer.id, officer.name, officer.email, officer.created_at.strftime("%Y-%m-%d"))
    console.print(table)


# --- HTTP to the intake service -------------------------------------------------------------


def make_client(token: str) -> httpx.Client:
    """An HTTP client for the intake service, carrying the officer's token."""
    settings = IntakeSettings()
    return httpx.Client(
        base_url=settings.intake_url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0
    )


def call(token: str, method: str, path: str, **kwargs: Any) -> Any:
    """One request; every failure becomes a message that says what to do next."""
    if not token:
        fail(
            "no officer token", hint="pass --token or set FAIO_TOKEN (create one with `faio officer create`)"
        )
    try:
        with make_client(token) as client:
            response = client.request(method, path, **kwargs)
    except httpx.TransportError as error:
        url = IntakeSettings().intake_url
        fail(
            f"cannot reach the intake service at {url} ({error})",
            hint="start it (`make run`) or point FAIO_INTAKE_URL at it",
        )
    if response.status_code == 401:
        fail(
            f"the token was refused: {_detail(response)}", hint="create a new one with `faio officer create`"
        )
    if response.status_code == 404:
        fail(_detail(response), hint="`faio clinic list` shows your clinics and their ids")
    if response.status_code == 422:
        fail(_detail(response), hint="fix the values named above and try again", code=2)
    if response.is_error:
        fail(f"intake answered {response.status_code}: {_detail(response)}")
    return response.json()


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        return response.text
    if isinstance(detail, list):  # FastAPI's validation errors: one line per problem
        return "; ".join(f"{'.'.join(map(str, e.get('loc', [])[1:]))}: {e.get('msg')}" for e in detail)
    return str(detail)


def _parse_staff(values: list[str]) -> list[dict[str, Any]]:
    staff = []
    for value in values:
        try:
            role, headcount, hourly_cost = value.rsplit(":", 2)
            staff.append(
                {"role": role.strip(), "headcount": int(headcount), "hourly_cost": float(hourly_cost)}
            )
        except ValueError:
            fail(
                f"--staff {value!r} is not ROLE:HEADCOUNT:HOURLY_COST",
                hint="e.g. --staff 'front desk:3:24'",
                code=2,
            )
    return staff


def _parse_systems(values: list[str]) -> dict[str, str]:
    systems = {}
    for value in values:
        kind, sep, vendor = value.partition("=")
        if not sep or not kind.strip() or not vendor.strip():
            fail(f"--system {value!r} is not KIND=VENDOR", hint="e.g. --system emr=athenahealth", code=2)
        systems[kind.strip()] = vendor.strip()
    return systems


def _clinic_table(clinic: dict[str, Any]) -> Table:
    table = Table(title=clinic["name"], show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("id", clinic["id"])
    table.add_row("specialty", clinic["specialty"])
    table.add_row("locations", str(clinic["locations"]))
    staff = ", ".join(f"{s['role']} x{s['headcount']} (${s['hourly_cost']:g}/h)" for s in clinic["staff"])
    table.add_row("staff", staff or "-")
    table.add_row("systems", ", ".join(f"{k}: {v}" for k, v in clinic["systems"].items()) or "-")
    level = clinic.get("readiness_level")
    table.add_row("readiness", f"{level} ({clinic['readiness_score']})" if level else "not assessed yet")
    if clinic.get("archived_at"):
        table.add_row("archived", clinic["archived_at"])
    if clinic.get("notes"):
        table.add_row("notes", clinic["notes"])
    return table


@clinic_app.command("add")
def add_clinic(
    *,
    name: Annotated[str, typer.Option(help="The practice's name.")],
    specialty: Annotated[str, typer.Option(help="e.g. family medicine, dermatology.")],
    token: TokenOption = "",
    locations: Annotated[int, typer.Option(min=1, help="How many sites.")] = 1,
    staff: Annotated[
        list[str] | None, typer.Option(help="ROLE:HEADCOUNT:HOURLY_COST, repeatable, e.g. 'front desk:3:24'.")
    ] = None,
    system: Annotated[
        list[str] | None,
        typer.Option(help="KIND=VENDOR, repeatable, e.g. emr=athenahealth, phone=RingCentral."),
    ] = None,
    notes: Annotated[str, typer.Option(help="Anything worth remembering (no patient data).")] = "",
) -> None:
    """Register a clinic in your portfolio."""
    body = {
        "name": name,
        "specialty": specialty,
        "locations": locations,
        "staff": _parse_staff(staff or []),
        "systems": _parse_systems(system or []),
        "notes": notes,
    }
    clinic = call(token, "POST", "/v1/clinics", json=body)
    console.print(_clinic_table(clinic))
    console.print(f"[dim]Next: faio assessment submit {clinic['id']} answers.yaml[/]")


@clinic_app.command("list")
def list_clinics(
    *,
    token: TokenOption = "",
    specialty: Annotated[str | None, typer.Option(help="Only this specialty.")] = None,
    level: Annotated[
        str | None, typer.Option(help="Only this readiness level: not_ready, foundational, ready, advanced.")
    ] = None,
    search: Annotated[str | None, typer.Option("--search", "-q", help="Text in the name or notes.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    archived: Annotated[bool, typer.Option("--archived", help="Include archived clinics.")] = False,
) -> None:
    """Your clinics, by name, with their readiness."""
    params: dict[str, Any] = {"limit": limit, "offset": offset, "include_archived": archived}
    params |= {
        key: value for key, value in (("specialty", specialty), ("level", level), ("q", search)) if value
    }
    page = call(token, "GET", "/v1/clinics", params=params)
    shown = len(page["items"])
    first = page["offset"] + 1 if shown else 0
    table = Table(title=f"Clinics {first}-{page['offset'] + shown} of {page['total']}")
    for column in ("id", "name", "specialty", "locations", "staff", "readiness", "score"):
        table.add_column(column)
    for clinic in page["items"]:
        table.add_row(
            clinic["id"],
            clinic["name"] + (" (archived)" if clinic["archived_at"] else ""),
            clinic["specialty"],
            str(clinic["locations"]),
            str(sum(role["headcount"] for role in clinic["staff"])),
            clinic["readiness_level"] or "-",
            "-" if clinic["readiness_score"] is None else f"{clinic['readiness_score']:.1f}",
        )
    console.print(table)
    if page["offset"] + shown < page["total"]:
        console.print(f"[dim]More: --offset {page['offset'] + shown}[/]")


@clinic_app.command("show")
def show_clinic(clinic_id: str, token: TokenOption = "") -> None:
    """One clinic's profile."""
    console.print(_clinic_table(call(token, "GET", f"/v1/clinics/{clinic_id}")))


@clinic_app.command("archive")
def archive_clinic(clinic_id: str, token: TokenOption = "") -> None:
    """Archive a clinic: it leaves your list; its history stays."""
    console.print(_clinic_table(call(token, "POST", f"/v1/clinics/{clinic_id}/archive")))


# --- assessments ----------------------------------------------------------------------------


def _read_answers(path: Path) -> dict[str, Any]:
    """A YAML or JSON file: either {answers: {...}, questionnaire_version: v1} or just the answers."""
    try:
        data = yaml.safe_load(path.read_text())  # YAML is a superset of JSON
    except OSError as error:
        fail(f"cannot read {path}: {error}", code=2)
    except yaml.YAMLError as error:
        fail(f"{path} is not valid YAML or JSON: {error}", code=2)
    if not isinstance(data, dict):
        fail(
            f"{path} must hold a mapping of question id -> answer",
            hint="`faio assessment questionnaire`",
            code=2,
        )
    if "answers" in data:
        return data
    return {"answers": data}


def _score_tables(assessment: dict[str, Any], labels: dict[str, str]) -> list[Table]:
    scores = Table(title=f"Readiness: {assessment['level']} (overall {assessment['overall_score']:.1f}/100)")
    scores.add_column("dimension")
    scores.add_column("score", justify="right")
    for dimension, score in assessment["dimension_scores"].items():
        scores.add_row(labels.get(dimension, dimension), f"{score:.1f}")
    gaps = Table(title="Largest gaps and next actions")
    gaps.add_column("dimension")
    gaps.add_column("score", justify="right")
    gaps.add_column("next action")
    for gap in assessment["top_gaps"]:
        gaps.add_row(
            labels.get(gap["dimension"], gap["dimension"]), f"{gap['score']:.1f}", gap["next_action"]
        )
    return [scores, gaps]


@assessment_app.command("submit")
def submit_assessment(
    clinic_id: Annotated[str, typer.Argument(help="The clinic's id (see `faio clinic list`).")],
    file: Annotated[Path, typer.Argument(help="YAML or JSON: question id -> answer.")],
    token: TokenOption = "",
) -> None:
    """Score a completed questionnaire for a clinic."""
    body = _read_answers(file)
    assessment = call(token, "POST", f"/v1/clinics/{clinic_id}/assessments", json=body)
    questionnaire = call(
        token, "GET", "/v1/assessment/questionnaire", params={"version": assessment["questionnaire_version"]}
    )
    labels = {dimension["id"]: dimension["label"] for dimension in questionnaire["dimensions"]}
    for table in _score_tables(assessment, labels):
        console.print(table)
    if assessment.get("level_capped_by"):
        console.print(f"[yellow]Level capped:[/] {assessment['level_capped_by']}")
    if assessment.get("change_from_previous") is not None:
        console.print(f"Change since the previous assessment: {assessment['change_from_previous']:+.1f}")


@assessment_app.command("history")
def assessment_history(clinic_id: str, token: TokenOption = "") -> None:
    """Every assessment of a clinic, oldest first."""
    assessments = call(token, "GET", f"/v1/clinics/{clinic_id}/assessments")
    table = Table(title=f"{len(assessments)} assessment(s)")
    for column in ("completed", "version", "overall", "change", "level"):
        table.add_column(column)
    for assessment in assessments:
        change = assessment["change_from_previous"]
        table.add_row(
            assessment["completed_at"][:16].replace("T", " "),
            assessment["questionnaire_version"],
            f"{assessment['overall_score']:.1f}",
            "-" if change is None else f"{change:+.1f}",
            assessment["level"],
        )
    console.print(table)


@assessment_app.command("questionnaire")
def show_questionnaire(
    token: TokenOption = "",
    as_template: Annotated[
        bool, typer.Option("--template", help="Print a YAML answer file to fill in instead of a table.")
    ] = False,
) -> None:
    """The questions, and what each accepts as an answer."""
    questionnaire = call(token, "GET", "/v1/assessment/questionnaire")
    if as_template:
        print(f"questionnaire_version: {json.dumps(questionnaire['version'])}\nanswers:")
        for question in questionnaire["questions"]:
            accepted = _accepted(question)
            print(f"  # {question['text']}\n  # {accepted}\n  {question['id']}:")
        return
    table = Table(title=f"{questionnaire['title']} ({questionnaire['version']})")
    for column in ("id", "dimension", "question", "answer with"):
        table.add_column(column)
    for question in questionnaire["questions"]:
        table.add_row(question["id"], question["dimension"], question["text"], _accepted(question))
    console.print(table)


def _accepted(question: dict[str, Any]) -> str:
    if question["type"] == "scale":
        return "0-4"
    return " | ".join(option["id"] for option in question["options"])
