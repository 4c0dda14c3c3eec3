"""Benchmark of the KPI hot path: `python -m tests.bench.bench_kpi [--events 200000]`.

Starts its own Kafka broker, then two consumers of `partner.activity.v1` as separate processes:
the KPI service itself (uvicorn, batch subscriber, SQLite) and a bare aiokafka loop (getmany +
commit, no processing). Both read the same topic and the same events in the same run, in two
phases:

1. live: the events are published while both consume. For each it prints throughput (events
   over the time from the first publish to the last event readable) and the p50/p99 delay from
   publish to readable. For the KPI service "readable" means committed to its database, where
   GET /v1/clinics/{id}/kpis reads; for the bare loop, handed to the loop. On a small machine
   the bare loop keeps up with the publisher, so its rate here is the publish rate.
2. catch-up: a fresh KPI service and a fresh bare loop (new consumer groups) drain the same
   events, already in the topic, side by side: the consumers' own rates, without a publisher
   competing for the CPU (from each one's first to its last readable event).

Freshness at a realistic, paced load (1,000 events/s and up) is tests/bench/bench_kpi_paced.py.

It also prints each process's memory (RSS) as the event count grows. With `--database postgres`
the KPI service writes to a PostgreSQL server the benchmark starts (Debian's package) instead
of SQLite.
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from deploy.local.kafka import KafkaServer, free_port
from deploy.local.postgres import PostgresServer
from shared import topics
from shared.broker import ensure_topics
from shared.events.partner import example_events
from shared.pseudonyms import pseudonym_for
from shared.settings import DEV_PSEUDONYM_SECRET
from tests.kpi_seed import seed_clinics

ROOT = Path(__file__).resolve().parents[2]
TOPIC = topics.PARTNER_ACTIVITY.name
CLINICS = 50
# How often the benchmark reads the KPI database: fine enough for delays of a second or more,
# coarse enough that the reader's scans do not steal the CPU the consumers are measured on.
POLL_SECONDS = 0.05


def build_events(
    count: int, clinics: list[uuid.UUID], *, ids: str = "bench"
) -> list[tuple[int, bytes, list[tuple[str, bytes]]]]:
    """(clinic index, value, headers) for `count` events of every type, over four weeks of event time.

    Their ids are `ids`-0, `ids`-1, ...: events sent again with the same ids are duplicates.
    """
    examples = list(example_events().items())
    # Staff ids keyed as the front door keys them (the consumer refuses a raw one): per clinic.
    values = {
        (clinic, event_type): json.dumps(
            data
            | {"staff_id": pseudonym_for(data["staff_id"], clinic_id=clinic, secret=DEV_PSEUDONYM_SECRET)}
            if "staff_id" in data
            else data
        ).encode()
        for clinic in clinics
        for event_type, data in examples
    }
    start = datetime.now(UTC) - timedelta(days=28)
    rng = random.Random(7)
    events = []
    for index in range(count):
        clinic = index % len(clinics)
        event_type, _ = examples[rng.randrange(len(examples))]
        value = values[clinics[clinic], event_type]
        headers = [
            ("ce_id", f"{ids}-{index}".encode()),
            ("ce_type", event_type.encode()),
            ("ce_source", b"/bench"),
            ("ce_specversion", b"1.0"),
            ("ce_time", (start + timedelta(seconds=rng.randrange(28 * 86400))).isoformat().encode()),
            ("ce_subject", str(clinics[clinic]).encode()),
            ("content-type", b"application/json"),
        ]
        events.append((clinic, value, headers))
    return events


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- the bare loop (run as a subprocess of the benchmark) ----------------------------------


async def bare_loop(bootstrap: str, expect: int) -> None:
    """Read the topic as fast as aiokafka can, committing after each batch; report delays as JSON."""
    consumer = AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=bootstrap,
        group_id=f"bench-bare-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=1000,
    )
    await consumer.start()
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    print("ready", flush=True)
    delays: list[float] = []
    first = last = 0.0
    rss: list[tuple[int, float]] = []
    while len(delays) < expect:
        batches = await consumer.getmany(timeout_ms=200, max_records=1000)
        now = time.time()
        for records in batches.values():
            for record in records:
                sent = dict(record.headers).get("bench_sent")
                if sent is not None:
                    delays.append(now - float(sent))
        if batches:
            await consumer.commit()
            first = first or now
            last = now
            if not rss or len(delays) - rss[-1][0] >= expect // 5:
                rss.append((len(delays), rss_mb(os.getpid())))
    await consumer.stop()
    print(
        json.dumps({"count": len(delays), "first": first, "last": last, "delays": delays, "rss": rss}),
        flush=True,
    )


# --- the benchmark -----------------------------------------------------------------------


def start_kpi_service(
    bootstrap: str, work: Path, database_url: str, port: int | None = None
) -> subprocess.Popen[bytes]:
    """The KPI service with its own database, log and consumer group under `work`."""
    work.mkdir(parents=True, exist_ok=True)
    env = os.environ | {
        "FAIO_ENVIRONMENT": "test",
        "FAIO_SERVICE_NAME": f"kpi-bench-{uuid.uuid4().hex[:6]}",
        "FAIO_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "FAIO_DATABASE_URL": database_url,
        "FAIO_TRACES_DIR": str(work / "traces"),
        "FAIO_EVALUATION_INTERVAL_SECONDS": "0",
    }
    log = (work / "kpi.log").open("wb")
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "services.kpi.app:create_app",
        "--port",
        str(port or free_port()),
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def log_text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


async def wait_for_log(path: Path, text: str, within: float = 90) -> None:
    deadline = time.monotonic() + within
    while text not in await asyncio.to_thread(log_text, path):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {text!r} in {path}")
        await asyncio.sleep(0.1)


def start_bare_loop(bootstrap: str, count: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "tests.bench.bench_kpi",
        "--bare-loop",
        bootstrap,
        "--events",
        str(count),
    ]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE)


COUNTS_SQL = "SELECT clinic_id, SUM(value) FROM kpi_daily_counter WHERE name = 'events' GROUP BY clinic_id"


async def readable_counts_postgres(database_url: str) -> dict[str, float]:
    """As readable_counts, from PostgreSQL (ids as 32 hex digits, as SQLite stores them)."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch(COUNTS_SQL)
    finally:
        await connection.close()
    return {row[0].hex: row[1] for row in rows}


async def readable(database_url: str) -> dict[str, float]:
    if database_url.startswith("sqlite"):
        return await asyncio.to_thread(readable_counts, Path(database_url.split("///", 1)[1]))
    return await readable_counts_postgres(database_url)


def readable_counts(database: Path) -> dict[str, float]:
    """Events readable per clinic (hex id), straight from the KPI service's database."""
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
            rows = connection.execute(COUNTS_SQL).fetchall()
    except sqlite3.OperationalError:
        return {}
    return dict(rows)


async def publish(
    bootstrap: str,
    clinics: list[uuid.UUID],
    events: list[tuple[int, bytes, list[tuple[str, bytes]]]],
    sent_at: list[list[float]],
    rate: float = 0.0,
) -> tuple[float, float]:
    """Publish in per-partition batches (send_batch): the publisher must not be the bottleneck.

    With `rate` (events a second), events go out on that schedule: whenever the publisher is
    ahead of it, what is pending is sent and it waits.
    """
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    partitioner = DefaultPartitioner()
    partitions = sorted(await producer.partitions_for(TOPIC))
    partition_of = [partitioner(str(clinic).encode(), partitions, partitions) for clinic in clinics]
    batches: dict[int, Any] = {}
    pending: dict[int, list[int]] = {}
    futures = []
    # Paced, the schedule is checked every hundredth of a second's worth of events: what is pending
    # goes out then, so a slow rate's events do not wait in the publisher for company.
    every = max(1, int(rate // 100))
    first_publish = time.time()

    async def flush(partition: int) -> None:
        now = time.time()
        for clinic in pending.pop(partition):
            sent_at[clinic].append(now)
        futures.append(await producer.send_batch(batches.pop(partition), TOPIC, partition=partition))

    try:
        for index, (clinic, value, headers) in enumerate(events):
            if rate and index % every == 0 and (due := first_publish + index / rate) > time.time():
                for waiting in list(batches):
                    await flush(waiting)
                await asyncio.sleep(due - time.time())
            partition = partition_of[clinic]
            batch = batches.setdefault(partition, producer.create_batch())
            key = str(clinics[clinic]).encode()
            stamped = [*headers, ("bench_sent", repr(time.time()).encode())]
            if batch.append(key=key, value=value, timestamp=None, headers=stamped) is None:
                await flush(partition)
                batch = batches.setdefault(partition, producer.create_batch())
                batch.append(key=key, value=value, timestamp=None, headers=stamped)
            pending.setdefault(partition, []).append(clinic)
        for partition in list(batches):
            await flush(partition)
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return first_publish, time.time() - first_publish


@dataclass
class Followed:
    """What the benchmark saw of the KPI service: when events became readable, and its memory."""

    first: float = 0.0
    last: float = 0.0
    delays: list[float] = field(default_factory=list)
    memory: list[tuple[int, float]] = field(default_factory=list)


async def follow_kpi(
    database_url: str, pid: int, clinics: list[uuid.UUID], count: int, sent_at: list[list[float]] | None
) -> Followed:
    """Poll what the KPI service made readable until all `count` events are.

    The i-th event of a clinic is readable once the clinic's count exceeds i (one clinic's
    events stay in order on its partition); with `sent_at`, its delay is now minus its publish.
    """
    seen = [0] * len(clinics)
    index_of = {clinic.hex: position for position, clinic in enumerate(clinics)}
    followed = Followed(last=time.time())
    while sum(seen) < count:
        counts = await readable(database_url)
        now = time.time()
        for clinic_hex, total in counts.items():
            position = index_of.get(clinic_hex)
            if position is None or int(total) <= seen[position]:
                continue
            if sent_at is not None:
                followed.delays += [now - sent for sent in sent_at[position][seen[position] : int(total)]]
            seen[position] = int(total)
            followed.first = followed.first or now
            followed.last = now
        if not followed.memory or sum(seen) - followed.memory[-1][0] >= count // 5:
            followed.memory.append((sum(seen), rss_mb(pid)))
        if now - followed.last > 120:
            raise SystemExit(f"KPI service stalled at {sum(seen)} events; see its log")
        await asyncio.sleep(POLL_SECONDS)
    if followed.memory[-1][0] < count:
        followed.memory.append((sum(seen), rss_mb(pid)))
    return followed


async def consume_side_by_side(
    bootstrap: str, work: Path, clinics: list[uuid.UUID], count: int, publish_events: Any, database: Any
) -> tuple[Followed, dict[str, Any], float]:
    """Start the KPI service and the bare loop, run `publish_events` (if any), follow both to the end.

    Returns what was seen of the KPI service, the bare loop's report and the first publish time.
    """
    await asyncio.to_thread(work.mkdir, parents=True, exist_ok=True)
    database_url = database(work)
    await seed_clinics(database_url, clinics)  # events for clinics kpi does not know are refused
    kpi = start_kpi_service(bootstrap, work, database_url)
    bare = start_bare_loop(bootstrap, count)
    try:
        await wait_for_log(work / "kpi.log", f"topic='{TOPIC}'")
        assert bare.stdout is not None
        ready = await asyncio.to_thread(bare.stdout.readline)
        assert ready.strip() == b"ready", ready
        sent_at: list[list[float]] = [[] for _ in clinics]
        first_publish = time.time()
        # Followed while publishing: an event's delay is from its publish to the first poll that sees it.
        following = asyncio.create_task(
            follow_kpi(database_url, kpi.pid, clinics, count, sent_at if publish_events is not None else None)
        )
        if publish_events is not None:
            print(f"publishing {count:,} partner events for {CLINICS} clinics ...", flush=True)
            first_publish, publish_seconds = await publish_events(sent_at)
            print(
                f"published in {publish_seconds:.1f}s ({count / publish_seconds:,.0f} events/s)", flush=True
            )
        followed = await following
        bare_report: dict[str, Any] = json.loads(await asyncio.to_thread(bare.stdout.readline))
    finally:
        kpi.terminate()
        bare.terminate()
        kpi.wait(timeout=30)
        bare.wait(timeout=30)
        kept = Path(tempfile.gettempdir()) / f"faio-bench-kpi-service-{work.name}.log"
        shutil.copyfile(work / "kpi.log", kept)
        print(f"(the KPI service's log is kept in {kept})")
    return followed, bare_report, first_publish


def print_memory(followed: Followed, bare_report: dict[str, Any]) -> None:
    print("KPI service memory as events were applied (RSS):")
    for applied, megabytes in followed.memory:
        print(f"  {applied:>9,} events  {megabytes:7.1f} MB")
    print("bare loop memory:", ", ".join(f"{applied:,}: {mb:.1f} MB" for applied, mb in bare_report["rss"]))


async def run(bootstrap: str, work: Path, count: int, database: Any) -> None:
    """Phases 1 and 2."""
    clinics = [uuid.uuid4() for _ in range(CLINICS)]
    events = build_events(count, clinics)

    # 1. live: publish while both consume.
    followed, bare_report, first_publish = await consume_side_by_side(
        bootstrap,
        work / "live",
        clinics,
        count,
        lambda sent_at: publish(bootstrap, clinics, events, sent_at),
        database,
    )
    kpi_rate = count / (followed.last - first_publish)
    bare_rate = bare_report["count"] / (bare_report["last"] - first_publish)
    bare_delays = bare_report["delays"]
    print("\n1. live (published while consumed; rates from the first publish to the last readable event)")
    print(f"{'':28}{'KPI service':>14}{'bare aiokafka':>16}{'ratio':>9}")
    print(f"{'throughput (events/s)':28}{kpi_rate:>14,.0f}{bare_rate:>16,.0f}{kpi_rate / bare_rate:>9.2f}")
    for label, share in (("p50 publish->readable (s)", 0.5), ("p99 publish->readable (s)", 0.99)):
        ours, theirs = percentile(followed.delays, share), percentile(bare_delays, share)
        print(f"{label:28}{ours:>14.3f}{theirs:>16.3f}{ours / theirs:>9.1f}")
    mean, bare_mean = statistics.fmean(followed.delays), statistics.fmean(bare_delays)
    print(f"{'mean publish->readable (s)':28}{mean:>14.3f}{bare_mean:>16.3f}")
    print_memory(followed, bare_report)

    # 2. catch-up: fresh consumers drain the same events, already in the topic, side by side.
    print("\ncatching up: a fresh KPI service and a fresh bare loop drain the same events ...", flush=True)
    drained, bare_drained, _ = await consume_side_by_side(
        bootstrap, work / "catch-up", clinics, count, None, database
    )
    drain_rate = count / max(drained.last - drained.first, 1e-9)
    bare_drain_rate = bare_drained["count"] / max(bare_drained["last"] - bare_drained["first"], 1e-9)
    print("\n2. catch-up (events already in the topic; rates from each one's first to last readable event)")
    print(f"{'':28}{'KPI service':>14}{'bare aiokafka':>16}{'ratio':>9}")
    print(
        f"{'throughput (events/s)':28}{drain_rate:>14,.0f}{bare_drain_rate:>16,.0f}"
        f"{drain_rate / bare_drain_rate:>9.2f}"
    )
    print_memory(drained, bare_drained)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--bare-loop", metavar="BOOTSTRAP", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_loop:
        asyncio.run(bare_loop(args.bare_loop, args.events))
        return
    with tempfile.TemporaryDirectory(prefix="faio-bench-kpi-") as directory, ExitStack() as stack:
        work = Path(directory)
        server = stack.enter_context(KafkaServer(work / "kafka"))
        database: Any = lambda phase: f"sqlite+aiosqlite:///{phase / 'kpi.db'}"  # noqa: E731
        if args.database == "postgres":
            postgres = stack.enter_context(PostgresServer())
            database = lambda phase: postgres.create_database(f"kpi_{phase.name.replace('-', '_')}")  # noqa: E731
        print(f"database: {args.database}", flush=True)
        asyncio.run(ensure_topics(server.bootstrap))
        asyncio.run(run(server.bootstrap, work, args.events, database))


if __name__ == "__main__":
    main()
