"""How the CLI speaks: tables for people, JSON for scripts, whole ids to copy, errors that say what next."""

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, ProgressColumn
from rich.table import Table

from shared.names import strip_control_characters

console = Console()
errors = Console(stderr=True)

SPARK_BARS = "▁▂▃▄▅▆▇█"


def cell(value: Any) -> str:
    """A value as a table shows it: one line of visible text, never markup or a terminal command
    (a stored name may hold an ESC or "[link=...]" typed before names were checked)."""
    return "-" if value is None or value == "" else escape(strip_control_characters(str(value)))


def fail(message: str, *, hint: str = "", code: int = 1) -> NoReturn:
    """Print what went wrong and what to do next, then exit (2 for bad input, 1 otherwise)."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    if hint:
        errors.print(f"[yellow]next:[/] {hint}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def emit(data: Any, *, as_json: bool, human: Callable[[], None]) -> None:
    """The service's answer as JSON for scripts, or the human view."""
    if as_json:
        print(json.dumps(data, indent=2, default=str))
    else:
        human()


def progress(*columns: ProgressColumn | str) -> Progress:
    """Progress for a long operation; only on a terminal, so piped output stays clean."""
    return Progress(*columns, console=console, transient=True, disable=not console.is_terminal)


def copyable(label: str, value: str) -> None:
    """A value a person must copy (an id, a token, a URL): one line, never wrapped or shortened."""
    print(f"{label}: {strip_control_characters(value)}")


def hint(text: str) -> None:
    console.print(f"[dim]next: {text}[/]", highlight=False, soft_wrap=True)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A table whose cells fold rather than lose characters (ids stay whole)."""
    view = Table(title=cell(title))
    for column in columns:
        view.add_column(column, overflow="fold")
    for row in rows:
        view.add_row(*(cell(value) for value in row))
    return view


def details(title: str, rows: Iterable[tuple[str, Any]]) -> Table:
    """One thing, field by field."""
    view = Table(title=cell(title), show_header=False)
    view.add_column("field", style="bold")
    view.add_column("value", overflow="fold")
    for name, value in rows:
        view.add_row(name, cell(value))
    return view


def sparkline(values: Sequence[float | None]) -> str:
    """A terminal sparkline; periods without data are a space."""
    known = [value for value in values if value is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    bars = []
    for value in values:
        if value is None:
            bars.append(" ")
        else:
            level = 0 if span == 0 else round((value - low) / span * (len(SPARK_BARS) - 1))
            bars.append(SPARK_BARS[level])
    return "".join(bars)


def number(value: float | None, unit: str = "") -> str:
    """A figure as a person reads it: ratios as percentages, units spelled out."""
    if value is None:
        return "-"
    if unit == "ratio":
        return f"{value * 100:.0f} %"
    text = f"{value:,.1f}".removesuffix(".0") if abs(value) < 1000 else f"{value:,.0f}"
    return f"{text} {unit}".strip() if unit and unit != "count" else text


def when(timestamp: str | None) -> str:
    """An ISO timestamp as 'YYYY-MM-DD HH:MM' (UTC as the services send it)."""
    return "-" if not timestamp else timestamp[:16].replace("T", " ")
