"""Wait until the local platform is healthy, then print where everything is (for `make run`).

Runs as one of honcho's processes, so it stays alive after printing: honcho stops every
process as soon as one exits.
"""

import signal
import socket
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NoReturn

import httpx
from rich.console import Console
from rich.table import Table

SERVICES = {"intake": 8001, "audit": 8002, "roadmap": 8003, "kpi": 8004, "portal": 8005}
PORTAL = "http://127.0.0.1:8005"
DEMO_MARKER = Path(__file__).resolve().parents[2] / ".local" / "demo.json"
MAIL_PORT = 8025
KAFKA_PORT = 9092
TEMPORAL_PORT = 7233
TEMPORAL_UI = "http://127.0.0.1:8233"
TIMEOUT_SECONDS = 180

console = Console()


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def service_ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def portfolio_is_empty() -> bool:
    """Nothing seeded yet: `make demo` leaves .local/demo.json (its officer and sign-in command)."""
    return not DEMO_MARKER.exists()


def wait_for(what: str, check: Callable[[], bool], deadline: float) -> None:
    with console.status(f"waiting for {what}…"):
        while not check():
            if time.monotonic() > deadline:
                raise SystemExit(f"{what} did not become ready; see its lines above in this output.")
            time.sleep(0.5)
    console.print(f"[green]✓[/green] {what}")


def main() -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    wait_for(f"Kafka on 127.0.0.1:{KAFKA_PORT}", lambda: port_open(KAFKA_PORT), deadline)
    wait_for(f"Temporal on 127.0.0.1:{TEMPORAL_PORT}", lambda: port_open(TEMPORAL_PORT), deadline)
    for name, port in SERVICES.items():
        wait_for(f"{name} (database and Kafka)", partial(service_ready, port), deadline)

    table = Table(title="faio is running — Ctrl-C stops everything")
    table.add_column("what")
    table.add_column("where")
    for name, port in SERVICES.items():
        base = f"http://127.0.0.1:{port}"
        table.add_row(name, f"{base}   API docs {base}/docs   events {base}/asyncapi")
    table.add_row("portal (officers)", f"{PORTAL}   sign in: faio officer login --email you@example.org")
    table.add_row("mail sink", f"127.0.0.1:{MAIL_PORT} -> .local/mail/*.eml (sign-in links, urgent notices)")
    table.add_row("Temporal UI", TEMPORAL_UI)
    table.add_row("Kafka", f"127.0.0.1:{KAFKA_PORT}")
    table.add_row(
        "traces", ".local/traces/<service>.jsonl (or your OTLP collector: FAIO_OTEL_EXPORTER_OTLP_ENDPOINT)"
    )
    console.print(table)
    if portfolio_is_empty():
        console.print(
            "The platform is empty: [bold]make demo[/bold] (in another terminal) fills it with about 25 "
            "clinics at every stage, then open the sign-in link it prints."
        )

    signal.signal(signal.SIGTERM, exit_quietly)
    while True:
        time.sleep(3600)


def exit_quietly(*_: object) -> NoReturn:
    raise SystemExit(0)


if __name__ == "__main__":
    main()
