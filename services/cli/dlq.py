"""`faio dlq ...`: dead-lettered records for the SRE on call: list, show, replay once fixed.

Unlike the officer's commands, these speak Kafka, not HTTP: dead-letter topics are the
operators' tool (FAIO_KAFKA_BOOTSTRAP_SERVERS, or --kafka; default 127.0.0.1:9092).
"""

import asyncio
import json
from typing import Annotated, Any, NoReturn

import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from shared import dlq
from shared.broker import kafka_client_options
from shared.settings import SharedSettings

dlq_app = typer.Typer(
    help="Dead-lettered events: why they were parked, and replaying them once fixed.", no_args_is_help=True
)

console = Console()
errors = Console(stderr=True)

KafkaOption = Annotated[
    str | None,
    typer.Option(
        "--kafka", help="Kafka bootstrap servers (default FAIO_KAFKA_BOOTSTRAP_SERVERS).", show_default=False
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _fail(message: str, hint: str = "") -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}")
    if hint:
        errors.print(f"[yellow]next:[/] {hint}")
    raise typer.Exit(1)


def _bootstrap(kafka: str | None) -> str:
    return kafka or SharedSettings().kafka_bootstrap_servers


def _credentials() -> dict[str, Any]:
    """The operator's Kafka user from FAIO_KAFKA_* (a locked deployment; see docs/runbook.md)."""
    return kafka_client_options(SharedSettings())


def _run(coroutine: Any) -> Any:
    try:
        return asyncio.run(coroutine)
    except KafkaError as error:
        _fail(f"Kafka did not answer ({error})", "is the broker running? (`make run` starts one)")
    except dlq.DeadLetterNotFound as error:
        _fail(str(error), "list what is parked with `faio dlq list`")


def _summary(letter: dlq.DeadLetter) -> dict[str, Any]:
    return {
        "id": letter.id,
        "original_topic": letter.original_topic,
        "event_id": letter.event_id,
        "event_type": letter.event_type,
        "key": letter.key,
        "attempts": letter.attempts,
        "parked_at": letter.parked_at.isoformat(),
        "reason": letter.reason,
    }


@dlq_app.command("list")
def list_dead_letters(
    topic: Annotated[
        str | None, typer.Option("--topic", help="Only this topic (or its .dlq).", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many records.")] = 200,
    kafka: KafkaOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every parked record, oldest first, with the reason it was parked."""
    try:
        topics = dlq.dead_letter_topics(topic)
    except ValueError as error:
        _fail(str(error))
    with console.status("reading the dead-letter topics..."):
        letters = _run(dlq.read_dead_letters(_bootstrap(kafka), topics, limit=limit, **_credentials()))
    if as_json:
        print(json.dumps([_summary(letter) for letter in letters], indent=2))
        return
    if not letters:
        console.print("nothing is parked: every event was processed")
        return
    table = Table(title=f"{len(letters)} dead-lettered record(s)")
    for column in ("id", "event type", "parked at", "reason"):
        table.add_column(column, overflow="fold")
    for letter in letters:
        table.add_row(
            letter.id, letter.event_type, letter.parked_at.strftime("%Y-%m-%d %H:%M"), letter.reason
        )
    console.print(table)
    console.print("show one with `faio dlq show <id>`; replay it once fixed with `faio dlq replay <id>`")


@dlq_app.command("show")
def show_dead_letter(
    dead_letter_id: Annotated[
        str, typer.Argument(help="<topic>.dlq:<partition>:<offset>, from `faio dlq list`.")
    ],
    kafka: KafkaOption = None,
    as_json: JsonOption = False,
) -> None:
    """One parked record: its reason, its headers and its original body."""
    try:
        dlq.parse_id(dead_letter_id)
    except ValueError as error:
        _fail(str(error))
    letter: dlq.DeadLetter = _run(dlq.find_dead_letter(_bootstrap(kafka), dead_letter_id, **_credentials()))
    body = letter.value.decode(errors="replace")
    if as_json:
        headers = {name: value.decode(errors="replace") for name, value in letter.headers}
        print(json.dumps({**_summary(letter), "headers": headers, "body": body}, indent=2))
        return
    for name, value in _summary(letter).items():
        console.print(f"[bold]{name}:[/] {value}")
    console.print("[bold]body:[/]")
    console.print(body, markup=False, highlight=False)


@dlq_app.command("replay")
def replay_dead_letter(
    dead_letter_id: Annotated[
        str, typer.Argument(help="<topic>.dlq:<partition>:<offset>, from `faio dlq list`.")
    ],
    kafka: KafkaOption = None,
    as_json: JsonOption = False,
) -> None:
    """Publish a parked record's original bytes and headers to its topic again (consumers skip duplicates)."""
    try:
        dlq.parse_id(dead_letter_id)
    except ValueError as error:
        _fail(str(error))
    bootstrap = _bootstrap(kafka)
    letter: dlq.DeadLetter = _run(dlq.find_dead_letter(bootstrap, dead_letter_id, **_credentials()))
    try:
        _run(dlq.replay(bootstrap, letter, **_credentials()))
    except dlq.NothingToReplay as error:
        _fail(str(error))
    if as_json:
        print(json.dumps({"replayed": letter.id, "to": letter.original_topic, "event_id": letter.event_id}))
        return
    console.print(
        f"replayed {letter.id} to {letter.original_topic} (event {letter.event_id or 'without ce_id'})"
    )
    console.print("if it is parked again, `faio dlq list` shows the new reason")
