"""`faio`: the officer's command line. Each service adds its group here with one line."""

import typer

app = typer.Typer(help="faio: run AI adoption across your clinics.", no_args_is_help=True)

# Sub-command groups, one per service (e.g. `app.add_typer(intake.officer_app, name="officer")`).
