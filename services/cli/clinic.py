"""`faio clinic ...`: the clinics of your portfolio, at the intake service."""

from typing import Annotated, Any

import typer

from services.cli.client import JsonOption, TokenOption, call
from services.cli.render import console, copyable, details, emit, fail, hint, table
from shared.api_client import intake

clinic_app = typer.Typer(
    help="Clinics in your portfolio: profile, staff roles, systems.", no_args_is_help=True
)

NOT_YOURS = "`faio clinic list` shows your clinics and their ids"
ClinicId = Annotated[
    str, typer.Argument(help="The clinic's id (see `faio clinic list`).", show_default=False)
]
StaffOption = Annotated[
    list[str] | None,
    typer.Option(
        "--staff", help="ROLE:HEADCOUNT:HOURLY_COST, repeatable, e.g. 'front desk:3:24'.", show_default=False
    ),
]
SystemOption = Annotated[
    list[str] | None,
    typer.Option(
        "--system",
        help="KIND=VENDOR, repeatable, e.g. emr=athenahealth, phone=RingCentral.",
        show_default=False,
    ),
]


TimeZoneOption = Annotated[
    str | None,
    typer.Option(
        "--time-zone",
        help="IANA time zone, e.g. America/Los_Angeles (default: yours, `faio officer time-zone`).",
        show_default=False,
    ),
]
OpenDaysOption = Annotated[
    str | None,
    typer.Option("--open-days", help="Days it opens, e.g. mon-fri or mon,tue,wed,thu.", show_default=False),
]
HolidaysOption = Annotated[
    str | None,
    typer.Option("--holidays", help='Public holidays it closes on: a country or region, "US", "US-CA".'),
]
ClosedOption = Annotated[
    list[str] | None,
    typer.Option("--closed", help="YYYY-MM-DD, repeatable: another day it is closed.", show_default=False),
]
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_open_days(value: str) -> list[str]:
    """--open-days mon-fri or mon,tue,thu -> the API's list of days."""
    days: list[str] = []
    for part in value.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in WEEK or (last and last not in WEEK):
            fail(f"--open-days {value!r}: use mon..sun, e.g. mon-fri or mon,tue,wed,thu", code=2)
        days += WEEK[WEEK.index(first) : WEEK.index(last or first) + 1]
    return list(dict.fromkeys(days))


def calendar_changes(
    time_zone: str | None, open_days: str | None, holidays: str | None, closed: list[str] | None
) -> dict[str, Any]:
    """The calendar fields a command was given, as the API names them."""
    changes: dict[str, Any] = {}
    if time_zone is not None:
        changes["time_zone"] = time_zone
    if open_days is not None:
        changes["open_days"] = parse_open_days(open_days)
    if holidays is not None:
        changes["holidays"] = holidays
    if closed:
        changes["closures"] = closed
    return changes


def parse_staff(values: list[str]) -> list[dict[str, Any]]:
    """--staff 'front desk:3:24' -> the API's staff role."""
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


def parse_systems(values: list[str]) -> dict[str, str]:
    """--system emr=athenahealth -> {"emr": "athenahealth"}."""
    systems = {}
    for value in values:
        kind, sep, vendor = value.partition("=")
        if not sep or not kind.strip() or not vendor.strip():
            fail(f"--system {value!r} is not KIND=VENDOR", hint="e.g. --system emr=athenahealth", code=2)
        systems[kind.strip()] = vendor.strip()
    return systems


def show(clinic: dict[str, Any]) -> None:
    staff = ", ".join(f"{s['role']} x{s['headcount']} (${s['hourly_cost']:g}/h)" for s in clinic["staff"])
    level = clinic.get("readiness_level")
    rows = [
        ("id", clinic["id"]),
        ("specialty", clinic["specialty"]),
        ("locations", clinic["locations"]),
        ("staff", staff),
        ("systems", ", ".join(f"{kind}: {vendor}" for kind, vendor in clinic["systems"].items())),
        ("readiness", f"{level} ({clinic['readiness_score']})" if level else "not assessed yet"),
        ("time zone", clinic.get("time_zone")),
        ("open", _opening(clinic)),
        ("closed on", ", ".join(clinic.get("closures") or ()) or None),
        ("archived", clinic.get("archived_at")),
        ("notes", clinic.get("notes")),
    ]
    console.print(details(clinic["name"], rows))
    copyable("clinic id", clinic["id"])


def _opening(clinic: dict[str, Any]) -> str | None:
    if not clinic.get("open_days"):
        return None
    holidays = f"; closed on {clinic['holidays']} public holidays" if clinic.get("holidays") else ""
    return ", ".join(clinic["open_days"]) + holidays


@clinic_app.command("add")
def add_clinic(
    *,
    name: Annotated[str, typer.Option(help="The practice's name.", show_default=False)],
    specialty: Annotated[str, typer.Option(help="e.g. family medicine, dermatology.", show_default=False)],
    token: TokenOption = "",
    locations: Annotated[int, typer.Option(min=1, help="How many sites.")] = 1,
    staff: StaffOption = None,
    system: SystemOption = None,
    notes: Annotated[str, typer.Option(help="Anything worth remembering (no patient data).")] = "",
    time_zone: TimeZoneOption = None,
    open_days: OpenDaysOption = None,
    holidays: HolidaysOption = None,
    closed: ClosedOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a clinic in your portfolio."""
    body = {
        "name": name,
        "specialty": specialty,
        "locations": locations,
        "staff": parse_staff(staff or []),
        "systems": parse_systems(system or []),
        "notes": notes,
        **calendar_changes(time_zone, open_days, holidays, closed),
    }
    clinic = call(intake.register_clinic(clinic=body), token=token)

    def human() -> None:
        show(clinic)
        hint(f"faio assessment submit {clinic['id']} answers.yaml")

    emit(clinic, as_json=as_json, human=human)


@clinic_app.command("update")
def update_clinic(
    clinic_id: ClinicId,
    *,
    token: TokenOption = "",
    name: Annotated[str | None, typer.Option(help="A new name.", show_default=False)] = None,
    specialty: Annotated[str | None, typer.Option(help="A new specialty.", show_default=False)] = None,
    locations: Annotated[int | None, typer.Option(min=1, help="How many sites.", show_default=False)] = None,
    notes: Annotated[str | None, typer.Option(help="Replaces the notes.", show_default=False)] = None,
    staff: Annotated[
        list[str] | None,
        typer.Option("--staff", help="ROLE:HEADCOUNT:HOURLY_COST, repeatable: replaces every staff role."),
    ] = None,
    system: Annotated[
        list[str] | None, typer.Option("--system", help="KIND=VENDOR, repeatable: adds or changes a system.")
    ] = None,
    drop_system: Annotated[
        list[str] | None,
        typer.Option("--drop-system", help="KIND, repeatable: the clinic no longer uses it."),
    ] = None,
    time_zone: TimeZoneOption = None,
    open_days: OpenDaysOption = None,
    holidays: HolidaysOption = None,
    closed: Annotated[
        list[str] | None,
        typer.Option("--closed", help="YYYY-MM-DD, repeatable: replaces the days it is closed."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change a clinic's profile; audit, roadmap and kpi hear about it."""
    changes: dict[str, Any] = {
        key: value
        for key, value in (
            ("name", name),
            ("specialty", specialty),
            ("locations", locations),
            ("notes", notes),
        )
        if value is not None
    }
    changes |= calendar_changes(time_zone, open_days, holidays, closed)
    if staff:
        changes["staff"] = parse_staff(staff)
    if system or drop_system:
        current = call(intake.clinic(clinic_id=clinic_id), token=token, not_found_hint=NOT_YOURS)
        systems = {kind.lower(): vendor for kind, vendor in current["systems"].items()}
        systems |= {kind.lower(): vendor for kind, vendor in parse_systems(system or []).items()}
        for kind in drop_system or []:
            if systems.pop(kind.strip().lower(), None) is None:
                fail(
                    f"--drop-system {kind!r}: the clinic has no such system",
                    hint=f"it has: {', '.join(systems)}",
                    code=2,
                )
        changes["systems"] = systems
    if not changes:
        fail(
            "nothing to change",
            hint="give at least one of --name, --specialty, --locations, --notes, --staff, --system, "
            "--drop-system, --time-zone, --open-days, --holidays, --closed",
            code=2,
        )
    clinic = call(
        intake.update_clinic(clinic_id=clinic_id, changes=changes), token=token, not_found_hint=NOT_YOURS
    )
    emit(clinic, as_json=as_json, human=lambda: show(clinic))


@clinic_app.command("list")
def list_clinics(
    *,
    token: TokenOption = "",
    specialty: Annotated[str | None, typer.Option(help="Only this specialty.", show_default=False)] = None,
    level: Annotated[
        str | None,
        typer.Option(
            help="Only this readiness level: not_ready, foundational, ready, advanced.", show_default=False
        ),
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Text in the name or notes.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    archived: Annotated[bool, typer.Option("--archived", help="Include archived clinics.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Your clinics, by name, with their readiness."""
    params: dict[str, Any] = {"limit": limit, "offset": offset, "include_archived": archived}
    params |= {
        key: value for key, value in (("specialty", specialty), ("level", level), ("q", search)) if value
    }
    page = call(intake.clinics(params=params), token=token)

    def human() -> None:
        shown = len(page["items"])
        first = page["offset"] + 1 if shown else 0
        rows = [
            (
                clinic["id"],
                clinic["name"] + (" (archived)" if clinic["archived_at"] else ""),
                clinic["specialty"],
                clinic["locations"],
                sum(role["headcount"] for role in clinic["staff"]),
                clinic["readiness_level"],
                None if clinic["readiness_score"] is None else f"{clinic['readiness_score']:.1f}",
            )
            for clinic in page["items"]
        ]
        columns = ("id", "name", "specialty", "locations", "staff", "readiness", "score")
        console.print(table(f"Clinics {first}-{page['offset'] + shown} of {page['total']}", columns, rows))
        if page["offset"] + shown < page["total"]:
            hint(f"more with --offset {page['offset'] + shown}")

    emit(page, as_json=as_json, human=human)


@clinic_app.command("show")
def show_clinic(clinic_id: ClinicId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """One clinic's profile."""
    clinic = call(intake.clinic(clinic_id=clinic_id), token=token, not_found_hint=NOT_YOURS)
    emit(clinic, as_json=as_json, human=lambda: show(clinic))


@clinic_app.command("archive")
def archive_clinic(clinic_id: ClinicId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """Archive a clinic: it leaves your list; its history stays."""
    clinic = call(intake.archive_clinic(clinic_id=clinic_id), token=token, not_found_hint=NOT_YOURS)
    emit(clinic, as_json=as_json, human=lambda: show(clinic))
