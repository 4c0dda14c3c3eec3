"""KPI freshness at a paced load: `python -m tests.bench.bench_kpi_paced [--database postgres]`.

One broker and one KPI service (uvicorn, batch subscriber), kept running from step to step, as a
deployment's would be. Events are published on a schedule, not as a flood:

1. 1,000 events/s for 30 s: 40 times the peak of a 2,500-clinic deployment (2,500 clinics send
   on the order of tens of events a second). p50/p99 from publish to readable, where
   GET /v1/clinics/{id}/kpis reads (the SLO: p99 <= 1 s).
2. the knee: the rate doubled (or halved, if 1,000 is already over), 10 s a step, until p99
   crosses 1 s, then the midpoint between the last rate under it and the first over it.

Each step has its own clinics and waits until all its events are readable, so the next starts
caught up. Beside the benchmark's own measure (polling the database), each step prints the
service's own view: the share of records within 1 s in `faio_kpi_freshness_seconds`, read from
its /metrics. Figures only: nothing here asserts a timing.
"""

import argparse
import asyncio
import shutil
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from deploy.local.kafka import KafkaServer, free_port
from deploy.local.postgres import PostgresServer
from shared.broker import ensure_topics
from tests.bench.bench_kpi import (
    CLINICS,
    TOPIC,
    build_events,
    follow_kpi,
    percentile,
    publish,
    start_kpi_service,
    wait_for_log,
)
from tests.kpi_seed import seed_clinics

SLO_SECONDS = 1.0
HEADLINE_RATE, HEADLINE_SECONDS = 1_000, 30
STEP_SECONDS = 10
# The sweep stops at these whatever happens: beyond what two cores publish, and a trickle.
HIGHEST_RATE, LOWEST_RATE = 64_000, 60


@dataclass
class Step:
    rate: float
    published_rate: float
    p50: float
    p99: float
    within_slo: float  # the service's own histogram: share of records readable within 1 s


async def freshness_buckets(metrics_url: str) -> dict[float, float]:
    """faio_kpi_freshness_seconds' cumulative bucket counts, by upper bound."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(metrics_url)).text
    return {
        float(sample.labels["le"]): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "faio_kpi_freshness_seconds"
        for sample in family.samples
        if sample.name.endswith("_bucket")
    }


async def paced_step(
    bootstrap: str, database_url: str, pid: int, metrics_url: str, rate: float, seconds: float
) -> Step:
    """Publish `rate` events a second for `seconds` to fresh clinics; follow them to readable."""
    clinics = [uuid.uuid4() for _ in range(CLINICS)]
    await seed_clinics(database_url, clinics)
    count = int(rate * seconds)
    events = build_events(count, clinics, ids=f"paced-{rate:.0f}")  # new ids: not duplicates of a step before
    before = await freshness_buckets(metrics_url)
    sent_at: list[list[float]] = [[] for _ in clinics]
    following = asyncio.create_task(follow_kpi(database_url, pid, clinics, count, sent_at))
    _, publish_seconds = await publish(bootstrap, clinics, events, sent_at, rate=rate)
    followed = await following
    after = await freshness_buckets(metrics_url)
    observed = after[float("inf")] - before.get(float("inf"), 0.0)
    within = after[SLO_SECONDS] - before.get(SLO_SECONDS, 0.0)
    step = Step(
        rate=rate,
        published_rate=count / publish_seconds,
        p50=percentile(followed.delays, 0.5),
        p99=percentile(followed.delays, 0.99),
        within_slo=within / observed if observed else float("nan"),
    )
    print(
        f"{rate:>10,.0f}{step.published_rate:>12,.0f}{step.p50:>9.3f}{step.p99:>9.3f}{step.within_slo:>14.1%}",
        flush=True,
    )
    return step


async def sweep(bootstrap: str, work: Path, database_url: str) -> None:
    port = free_port()
    await seed_clinics(database_url, [])
    kpi = start_kpi_service(bootstrap, work, database_url, port)
    metrics_url = f"http://127.0.0.1:{port}/metrics"
    try:
        await wait_for_log(work / "kpi.log", f"topic='{TOPIC}'")
        print(f"\n{'rate/s':>10}{'published/s':>12}{'p50 s':>9}{'p99 s':>9}{'within 1 s':>14}")
        print("1. paced at the headline rate (p99 <= 1 s is the SLO)")
        headline = await paced_step(
            bootstrap, database_url, kpi.pid, metrics_url, HEADLINE_RATE, HEADLINE_SECONDS
        )
        print("2. the knee: doubling (or halving) the rate until p99 crosses 1 s, then the midpoint")
        under, over = (headline.rate, None) if headline.p99 <= SLO_SECONDS else (None, headline.rate)
        while (under is None or over is None) and LOWEST_RATE <= (under or over or 0) <= HIGHEST_RATE:
            rate = under * 2 if under is not None else (over or 0) / 2
            step = await paced_step(bootstrap, database_url, kpi.pid, metrics_url, rate, STEP_SECONDS)
            under, over = (rate, over) if step.p99 <= SLO_SECONDS else (under, rate)
        if under is not None and over is not None:
            middle = (under + over) / 2
            step = await paced_step(bootstrap, database_url, kpi.pid, metrics_url, middle, STEP_SECONDS)
            under, over = (middle, over) if step.p99 <= SLO_SECONDS else (under, middle)
    finally:
        kpi.terminate()
        kpi.wait(timeout=30)
        kept = Path(tempfile.gettempdir()) / "faio-bench-kpi-paced-service.log"
        shutil.copyfile(work / "kpi.log", kept)
        print(f"(the KPI service's log is kept in {kept})")
    print(
        f"\nat {HEADLINE_RATE:,} events/s: p50 {headline.p50:.3f} s, p99 {headline.p99:.3f} s "
        f"({headline.within_slo:.1%} of records within 1 s by the service's histogram)"
    )
    if over is None:
        print(f"knee: not reached; p99 stayed <= 1 s up to {under or 0:,.0f} events/s")
    elif under is None:
        print(f"knee: below {over:,.0f} events/s (p99 > 1 s already there)")
    else:
        print(f"knee: p99 crosses 1 s between {under:,.0f} and {over:,.0f} events/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="faio-bench-kpi-paced-") as directory, ExitStack() as stack:
        work = Path(directory)
        server = stack.enter_context(KafkaServer(work / "kafka"))
        database_url = f"sqlite+aiosqlite:///{work / 'kpi.db'}"
        if args.database == "postgres":
            database_url = stack.enter_context(PostgresServer()).create_database("kpi_paced")
        print(f"database: {args.database}", flush=True)
        asyncio.run(ensure_topics(server.bootstrap))
        started = time.monotonic()
        asyncio.run(sweep(server.bootstrap, work, database_url))
        print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
