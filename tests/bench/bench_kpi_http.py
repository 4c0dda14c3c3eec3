"""Benchmark of the partners' HTTP front door: `python -m tests.bench.bench_kpi_http [--seconds 8]`.

Starts its own Kafka broker and two HTTP servers, each uvicorn in its own process on a free
port: the kpi service itself (SQLite, outbox relay, consumer) and a bare FastAPI endpoint that
only reads and parses the same JSON body. Partners post signed batches of 1,000 structured
CloudEvents (Standard Webhooks signatures, real keys and secrets from POST /v1/partners) for
`--seconds` at 1, 4 and 16 concurrent partners, first to the bare endpoint, then to kpi.

For each it prints accepted events/s, p50/p99 latency of an accepted batch, how many requests
were answered 429 (retried after Retry-After with the same webhook id, as Standard Webhooks
senders do) and every other error; then the kpi/bare ratio. Last, it waits until the aggregator
has counted every accepted event (through the outbox, Kafka and the consumer) and prints how
long that took after the last 202. With `--database postgres` kpi writes to a PostgreSQL server
the benchmark starts (Debian's package), as in production, instead of SQLite.
"""

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request, status

from deploy.local.kafka import KafkaServer, free_port
from deploy.local.postgres import PostgresServer
from shared.broker import ensure_topics
from shared.events.partner import example_events
from tests.bench.bench_kpi import percentile, readable
from tests.integration.kpi_support import (
    ROOT,
    create_live_partner,
    live_kpi,
    register_live_clinics,
    signed,
)
from tests.polling import eventually

BATCH = 1000
CLINICS = 20
LEVELS = (1, 4, 16)

# The baseline: what FastAPI and uvicorn cost for the same request, before any of kpi's work.
bare_app = FastAPI(title="parse-only baseline")


@bare_app.post("/v1/partner-events", status_code=status.HTTP_202_ACCEPTED)
async def parse_only(request: Request) -> dict[str, int]:
    events = json.loads(await request.body())
    return {"accepted": len(events), "duplicates": 0, "rejected": 0}


class Batches:
    """Bodies of 1,000 events of every type over the last four weeks, each event id unique."""

    def __init__(self, clinics: list[uuid.UUID]) -> None:
        rng = random.Random(11)
        examples = list(example_events().items())
        start = datetime.now(UTC) - timedelta(days=28)
        self.templates = []
        for index in range(BATCH):
            event_type, data = examples[rng.randrange(len(examples))]
            self.templates.append(
                {
                    "specversion": "1.0",
                    "id": "",
                    "type": event_type,
                    "time": (start + timedelta(seconds=rng.randrange(27 * 86400))).isoformat(),
                    "subject": str(clinics[index % len(clinics)]),
                    "data": data,
                }
            )

    def next(self) -> bytes:
        prefix = uuid.uuid4().hex
        for index, template in enumerate(self.templates):
            template["id"] = f"{prefix}-{index}"
        return json.dumps(self.templates).encode()


@dataclass
class Load:
    """What the partners saw during one phase."""

    partners: int
    seconds: float = 0.0
    accepted: int = 0
    latencies: list[float] = field(default_factory=list)
    throttled: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    cpu_seconds: float = 0.0  # the server process's, all its threads

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    @property
    def per_cpu_second(self) -> float:
        """Events accepted per second of the server's CPU: its capacity on one idle core."""
        return self.accepted / self.cpu_seconds if self.cpu_seconds else 0.0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (all threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def post_until(
    url: str, partner: dict[str, Any], batches: Batches, deadline: float, load: Load
) -> None:
    """One partner posting batch after batch until the deadline; a 429 is retried after Retry-After."""
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        while time.monotonic() < deadline:
            body = batches.next()
            webhook_id = f"msg_{uuid.uuid4().hex}"
            while True:
                headers = signed(partner, body, webhook_id=webhook_id)
                started = time.perf_counter()
                try:
                    response = await client.post("/v1/partner-events", content=body, headers=headers)
                except httpx.HTTPError as error:
                    load.errors[type(error).__name__] += 1
                    break
                if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
                    load.throttled += 1
                    await asyncio.sleep(float(response.headers.get("retry-after", "1")))
                    continue
                if response.status_code == status.HTTP_202_ACCEPTED:
                    load.latencies.append(time.perf_counter() - started)
                    load.accepted += int(response.json()["accepted"])
                else:
                    load.errors[f"HTTP {response.status_code}"] += 1
                break


async def drive(
    url: str, server_pid: int, partners: list[dict[str, Any]], batches: Batches, seconds: float
) -> Load:
    load = Load(partners=len(partners))
    cpu_before = cpu_seconds(server_pid)
    started = time.monotonic()
    await asyncio.gather(
        *(post_until(url, partner, batches, started + seconds, load) for partner in partners)
    )
    load.seconds = time.monotonic() - started
    load.cpu_seconds = cpu_seconds(server_pid) - cpu_before
    return load


def start_bare(work: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "tests.bench.bench_kpi_http:bare_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    with (work / "bare.log").open("ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=os.environ, stdout=log, stderr=subprocess.STDOUT)
    return f"http://127.0.0.1:{port}", process


def describe(load: Load) -> str:
    p50 = percentile(load.latencies, 0.5) * 1000 if load.latencies else float("nan")
    p99 = percentile(load.latencies, 0.99) * 1000 if load.latencies else float("nan")
    errors = ", ".join(f"{name} x{count}" for name, count in load.errors.items()) or "0"
    return (
        f"{load.rate:>10,.0f}{load.per_cpu_second:>10,.0f}{p50:>7.0f}{p99:>7.0f}{load.throttled:>6}  {errors}"
    )


async def run(kafka: str, work: Path, seconds: float, levels: tuple[int, ...], database_url: str) -> None:
    officer = f"bench-officer-{uuid.uuid4().hex[:6]}"
    bare_url, bare = await asyncio.to_thread(start_bare, work)
    try:
        settings = {"database_url": database_url} if database_url else {}
        async with live_kpi(kafka, work / "kpi", **settings) as kpi:
            clinics = await register_live_clinics(kafka, kpi, officer_id=officer, count=CLINICS)
            partners = [
                await create_live_partner(kpi, officer_id=officer, clinic_ids=clinics)
                for _ in range(max(levels))
            ]
            batches = Batches(clinics)
            print(
                f"kpi pid {kpi.process.pid} at {kpi.url}; bare endpoint pid {bare.pid} at {bare_url}",
                flush=True,
            )
            results: list[tuple[Load, Load]] = []
            for level in levels:
                bare_load = await drive(bare_url, bare.pid, partners[:level], batches, seconds)
                kpi_load = await drive(kpi.url, kpi.process.pid, partners[:level], batches, seconds)
                results.append((kpi_load, bare_load))
                print(
                    f"  {level:>2} partners: kpi {kpi_load.rate:,.0f} events/s, bare {bare_load.rate:,.0f}",
                    flush=True,
                )
            last_accepted = time.monotonic()
            total = sum(kpi_load.accepted for kpi_load, _ in results)

            async def all_counted() -> bool:
                counts = await readable(database_url or f"sqlite+aiosqlite:///{kpi.database}")
                return sum(counts.values()) >= total

            await eventually(all_counted, within=600, what=f"the aggregator to count {total:,} events")
            drained = time.monotonic() - last_accepted
    finally:
        bare.terminate()
        await asyncio.to_thread(bare.wait, 30)

    print(
        f"\nsigned batches of {BATCH:,} events, {seconds:.0f} s per phase; latency of an accepted batch in ms"
    )
    header = f"{'events/s':>10}{'/CPU-s':>10}{'p50':>7}{'p99':>7}{'429s':>6}  errors"
    print(f"{'partners':>8}  {'kpi /v1/partner-events':<44}  {'bare parse-only endpoint':<44}  ratio")
    print(f"{'':>8}  {header:<44}  {header:<44}")
    for kpi_load, bare_load in results:
        ratio = kpi_load.rate / bare_load.rate if bare_load.rate else float("nan")
        print(f"{kpi_load.partners:>8}  {describe(kpi_load):<44}  {describe(bare_load):<44}  {ratio:.2f}")
    print(f"\nall {total:,} accepted events counted by the aggregator {drained:.1f} s after the last 202")
    print(
        "events/s: accepted per second of wall time; /CPU-s: accepted per second of the server's own CPU\n"
        "(what one idle core would take in; on a shared machine wall-time rates fall with the load).\n"
        "Goal: >= 15,000 events/s at 4 partners with p99 <= 500 ms; no errors (429s are retried) at 16."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="how long each phase posts")
    parser.add_argument(
        "--partners", type=int, nargs="+", default=list(LEVELS), help="concurrent partners per phase"
    )
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="faio-bench-kpi-http-") as directory, ExitStack() as stack:
        work = Path(directory)
        database_url = ""
        if args.database == "postgres":
            database_url = stack.enter_context(PostgresServer()).create_database("kpi_front_door")
        print(f"database: {args.database}", flush=True)
        server = stack.enter_context(KafkaServer(work / "kafka"))
        asyncio.run(ensure_topics(server.bootstrap))
        asyncio.run(run(server.bootstrap, work, args.seconds, tuple(args.partners), database_url))


if __name__ == "__main__":
    main()
