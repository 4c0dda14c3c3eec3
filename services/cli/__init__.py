"""The `faio` command line: one Typer app, a sub-command group per service."""
