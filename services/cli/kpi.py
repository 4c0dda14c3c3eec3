"""`faio partner ...` and `faio kpi ...`: integration partners, their events, KPIs and alerts, at kpi."""

from datetime import date, timedelta
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
from standardwebhooks.webhooks import Webhook

from services.cli import samples
from services.cli.client import JsonOption, TokenOption, call
from services.cli.clinic import NOT_YOURS, ClinicId
from services.cli.render import console, copyable, emit, fail, hint, number, progress, sparkline, table, when
from shared import clock
from shared.api_client import kpi as kpi_api
from shared.api_client.vocabulary import PARTNER_KINDS, one_of

partner_app = typer.Typer(
    help="Integration partners (EMR, phones, scheduling, AI scribes) and their events.", no_args_is_help=True
)
kpi_app = typer.Typer(
    help="KPIs per clinic and week against baseline and target, and alerts.", no_args_is_help=True
)

UNKNOWN_PARTNER = "`faio partner list` shows your partners and their ids"
BATCH = 200  # events a signed request (the service takes up to 1,000)


def _partner_rows(partners: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (p["id"], p["name"], p["kind"], ", ".join(p["clinic_ids"]), when(p["created_at"])) for p in partners
    ]


PARTNER_COLUMNS = ("id", "name", "kind", "clinics", "created")


@partner_app.command("create")
def create_partner(
    *,
    name: Annotated[str, typer.Option(help="The partner's name, e.g. 'Acme Phones'.", show_default=False)],
    kind: Annotated[str, typer.Option(help=f"One of {', '.join(PARTNER_KINDS)}.")] = "other",
    clinic: Annotated[
        list[str] | None,
        typer.Option("--clinic", help="A clinic id it may publish for, repeatable.", show_default=False),
    ] = None,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Register a partner; its API key and webhook secret are shown this once."""
    partner_kind = one_of(kind, PARTNER_KINDS)
    if partner_kind is None:
        fail(f"--kind {kind!r} is not a partner kind", hint=f"one of {', '.join(PARTNER_KINDS)}", code=2)
    registered = kpi_api.register_partner(name=name, kind=partner_kind, clinic_ids=clinic or [])
    partner = call(registered, token=token, not_found_hint=NOT_YOURS)

    def human() -> None:
        console.print(table("Partner registered", PARTNER_COLUMNS, _partner_rows([partner])))
        copyable("partner id", partner["id"])
        copyable("api key", partner["api_key"])
        copyable("webhook secret", partner["webhook_secret"])
        console.print("[dim]hand both secrets to the partner now: they are not shown again[/]")

    emit(partner, as_json=as_json, human=human)


@partner_app.command("link")
def link_clinic(
    partner_id: Annotated[str, typer.Argument(help="The partner's id.", show_default=False)],
    clinic_id: ClinicId,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Let a partner publish events for one more of your clinics."""
    link = kpi_api.link_partner(partner_id=partner_id, clinic_id=clinic_id)
    partner = call(link, token=token, not_found_hint=f"{UNKNOWN_PARTNER}; {NOT_YOURS}")
    emit(
        partner,
        as_json=as_json,
        human=lambda: console.print(table("Partner", PARTNER_COLUMNS, _partner_rows([partner]))),
    )


@partner_app.command("list")
def list_partners(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """Your partners and the clinics each may publish for."""
    partners = call(kpi_api.partners(), token=token)
    rows = _partner_rows(partners)
    emit(
        partners,
        as_json=as_json,
        human=lambda: console.print(table(f"{len(rows)} partner(s)", PARTNER_COLUMNS, rows)),
    )


@partner_app.command("send-demo-events")
def send_demo_events(
    *,
    clinic: Annotated[
        str, typer.Option("--clinic", help="The clinic the events are about.", show_default=False)
    ],
    api_key: Annotated[
        str, typer.Option(envvar="FAIO_PARTNER_API_KEY", help="The partner's API key.", show_default=False)
    ],
    webhook_secret: Annotated[
        str,
        typer.Option(
            envvar="FAIO_PARTNER_WEBHOOK_SECRET", help="The partner's webhook secret.", show_default=False
        ),
    ],
    clinician: Annotated[
        list[str] | None,
        typer.Option("--clinician", help="A clinician's staff id, repeatable (default staff-201..204)."),
    ] = None,
    weeks: Annotated[int, typer.Option(min=1, max=26, help="How many past weeks of activity.")] = 4,
    as_json: JsonOption = False,
) -> None:
    """Act as the partner: send a few weeks of sample calls, bookings, notes and AI-scribe use, signed.

    The default clinicians are the ids `faio audit template --sample` gives a clinic's second
    role (staff-201...), so a pilot group named after them shows adoption.
    """
    try:
        signer = Webhook(webhook_secret)
    except Exception:  # noqa: BLE001 - the library raises several kinds for a malformed secret
        fail(
            "--webhook-secret is not a webhook secret (whsec_...)",
            hint="use the one `faio partner create` printed",
            code=2,
        )
    clinicians = clinician or [f"staff-2{number:02d}" for number in range(1, 5)]
    today = clock.today()
    events = list(samples.partner_events(clinic_id=clinic, clinicians=clinicians, weeks=weeks, today=today))
    totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
    columns = (TextColumn("[bold]sending events"), BarColumn(), MofNCompleteColumn())
    with progress(*columns) as sending:
        task = sending.add_task("send", total=len(events))
        for start in range(0, len(events), BATCH):
            batch = events[start : start + BATCH]
            report = call(kpi_api.partner_events(events=batch, api_key=api_key, signer=signer))
            for key in totals:
                totals[key] += report[key]
            if report["rejected"]:
                first = next(result for result in report["results"] if result["status"] == "rejected")
                fail(f"the service rejected {report['rejected']} event(s), e.g. {first['errors']}")
            sending.update(task, advance=len(batch))
    summary = {"sent": len(events), **totals}

    def human() -> None:
        console.print(
            f"sent {len(events)} events: {totals['accepted']} accepted, {totals['duplicates']} duplicates",
            highlight=False,
        )
        hint(f"faio kpi show {clinic}")

    emit(summary, as_json=as_json, human=human)


def _latest(points: list[dict[str, Any]]) -> float | None:
    return next((p["value"] for p in reversed(points) if p["value"] is not None), None)


@kpi_app.command("show")
def show_kpis(
    clinic_id: ClinicId,
    *,
    weeks: Annotated[int, typer.Option(min=1, max=52, help="How many weeks back.")] = 8,
    daily: Annotated[bool, typer.Option("--daily", help="By day instead of ISO week.")] = False,
    kpi: Annotated[
        list[str] | None, typer.Option("--kpi", help="Only this KPI, repeatable.", show_default=False)
    ] = None,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """A clinic's KPIs against baseline and target, with a sparkline each."""
    end = clock.today()
    series = kpi_api.kpis(
        clinic_id=clinic_id,
        granularity="day" if daily else "week",
        start=(end - timedelta(weeks=weeks)).isoformat(),
        end=end.isoformat(),
        kpi=kpi,
    )
    found = call(series, token=token, not_found_hint=NOT_YOURS)

    def human() -> None:
        rows = [
            (
                series["title"],
                number(_latest(series["points"]), series["unit"]),
                number(series["baseline"], series["unit"]),
                number(series["target"], series["unit"]),
                sparkline([point["value"] for point in series["points"]]),
                series["better"],
            )
            for series in found["kpis"]
        ]
        title = f"KPIs by {found['granularity']}, {found['start']} to {found['end']}"
        console.print(table(title, ("KPI", "latest", "baseline", "target", "trend", "better"), rows))
        initiative = found.get("initiative")
        if initiative:
            console.print(
                f"initiative {initiative['id']}: {initiative['kpi']} {initiative['target_change_pct']:+g} % "
                f"against the baseline {initiative['baseline_start']} to {initiative['baseline_end']}",
                highlight=False,
            )

    emit(found, as_json=as_json, human=human)


@kpi_app.command("alerts")
def show_alerts(clinic_id: ClinicId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """Alerts raised for a clinic (adoption decline, target regression), with their evidence."""
    alerts = call(kpi_api.kpi_alerts(clinic_id=clinic_id), token=token, not_found_hint=NOT_YOURS)
    rows = [(when(a["raised_at"]), a["kind"], a["kpi"], a["week"], a["message"]) for a in alerts]
    columns = ("raised", "kind", "KPI", "week", "message")
    emit(
        alerts, as_json=as_json, human=lambda: console.print(table(f"{len(alerts)} alert(s)", columns, rows))
    )


@kpi_app.command("evaluate")
def evaluate(
    clinic_id: ClinicId,
    as_of: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD, not in the future (default today).", show_default=False)
    ] = None,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Send the clinic's due weekly snapshots and alerts now (the service also does it hourly)."""
    day = None
    if as_of:
        try:
            day = date.fromisoformat(as_of).isoformat()
        except ValueError:
            fail(f"--as-of {as_of!r} is not a date", hint="use YYYY-MM-DD", code=2)
    evaluation = kpi_api.evaluate(clinic_id=clinic_id, as_of=day)
    report = call(evaluation, token=token, not_found_hint=NOT_YOURS)
    summary = f"{len(report['snapshots'])} snapshot(s) and {len(report['alerts'])} alert(s) sent"
    emit(report, as_json=as_json, human=lambda: console.print(summary, highlight=False))
