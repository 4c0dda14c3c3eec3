"""`faio`: the officer's command line. Each service adds its group here with one line."""

import typer

from services.cli import audit, dlq, intake

app = typer.Typer(help="faio: run AI adoption across your clinics.", no_args_is_help=True)

# Sub-command groups, one per service (e.g. `app.add_typer(intake.officer_app, name="officer")`).
app.add_typer(intake.officer_app, name="officer")
app.add_typer(intake.clinic_app, name="clinic")
app.add_typer(intake.assessment_app, name="assessment")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(dlq.dlq_app, name="dlq")
