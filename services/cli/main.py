"""`faio`: the officer's command line. A client of the services' HTTP APIs, never of their databases."""

from typing import Annotated

import typer

from services.cli import client
from services.cli.assessment import assessment_app
from services.cli.audit import audit_app
from services.cli.buy_in import buy_in_app
from services.cli.catalog import catalog_app
from services.cli.clinic import clinic_app
from services.cli.dlq import dlq_app
from services.cli.kpi import kpi_app, partner_app
from services.cli.officer import officer_app
from services.cli.prospect import prospect_app
from services.cli.report import practice_report
from services.cli.roadmap import initiative_app, plan_app
from services.cli.strategy import strategy_app
from services.cli.task_log import add_commands as add_task_log_commands

app = typer.Typer(
    help="faio: run AI adoption across your clinics, one problem at a time.", no_args_is_help=True
)


def _url(service: str) -> object:
    return typer.Option(
        f"--{service}-url",
        envvar=f"FAIO_{service.upper()}_URL",
        help=f"The {service} service (default FAIO_{service.upper()}_URL or its local port).",
        show_default=False,
    )


@app.callback()
def services(
    intake_url: Annotated[str | None, _url("intake")] = None,
    audit_url: Annotated[str | None, _url("audit")] = None,
    roadmap_url: Annotated[str | None, _url("roadmap")] = None,
    kpi_url: Annotated[str | None, _url("kpi")] = None,
    portal_url: Annotated[str | None, _url("portal")] = None,
) -> None:
    """Where the services are: options win over the FAIO_*_URL environment variables."""
    client.url_overrides.clear()
    for service, url in (
        ("intake", intake_url),
        ("audit", audit_url),
        ("roadmap", roadmap_url),
        ("kpi", kpi_url),
        ("portal", portal_url),
    ):
        if url:
            client.url_overrides[service] = url


# In the order of the method: who, which clinic, how ready, where the hours go, what first, how it goes.
app.add_typer(officer_app, name="officer")
app.add_typer(prospect_app, name="prospect")
app.add_typer(clinic_app, name="clinic")
app.add_typer(assessment_app, name="assessment")
add_task_log_commands(audit_app)
app.add_typer(audit_app, name="audit")
app.add_typer(strategy_app, name="strategy")
app.add_typer(catalog_app, name="catalog")
app.add_typer(initiative_app, name="initiative")
plan_app.add_typer(buy_in_app, name="buy-in")
app.add_typer(plan_app, name="plan")
app.add_typer(partner_app, name="partner")
app.add_typer(kpi_app, name="kpi")
app.command("report")(practice_report)
# For the SRE on call, not the officer: dead-lettered events, over Kafka.
app.add_typer(dlq_app, name="dlq")
