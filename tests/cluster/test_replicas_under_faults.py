"""Two kpi replicas on one PostgreSQL database and a three-broker cluster, as real processes, under
paced partner load on the front door; one broker, one replica and one outbox relay killed with
SIGKILL in turn (each brought back, as an orchestrator would), then one broker cut off the network
for 60 s in a namespace of its own. Nothing acknowledged is lost or counted twice, under 1 % of
requests answer 5xx in any minute, and freshness is back under its SLO (99 % of records readable
within 1 s of their publish) within 60 s of each fault's end. Printed per fault: the recovery (from
the fault until everything acknowledged before it is readable) and the freshness recovery.

The freshness recovery is measured, not only checked: the load goes on after a fault until
freshness is back or for OBSERVED_AFTER seconds, so a slow recovery shows as a number, and the
suite fails if it exceeds the SLO's 60 s. On a 2-core machine shared with other work the measure
depends on what else runs, so each row also gives the load the suite achieved (the pace it asked
for is PACE), freshness before the fault under that same load, and the machine's load average:
a miss is reported with what the machine was doing, never hidden or waved through."""

import asyncio
import json
import os
import signal
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from deploy.local.kafka import KafkaCluster
from deploy.local.postgres import PostgresServer
from tests.bench.bench_kpi import readable
from tests.cluster.freshness import WINDOW, FreshnessWatch
from tests.cluster.groups import consumer_groups, until_members
from tests.cluster.partition import NetworkNamespace
from tests.fault_support import Tally
from tests.integration.kpi_support import (
    LiveKpi,
    create_live_partner,
    register_live_clinics,
    signed,
    start_kpi_process,
    until_ready,
)
from tests.polling import eventually

CLINICS_PER_PHASE = 4
BATCH = 50  # events a request
PACE = 8.0  # requests a second: 400 events/s, paced, as partners send through the day
FAULTS = (
    "a broker killed -9, restarted after 10 s",
    "a kpi replica killed -9, restarted after 5 s",
    "an outbox relay killed -9 with rows waiting, restarted after 5 s",
)
CUT_OFF = "a broker cut off for 60 s (own network namespace, link down)"
# Where `ip netns` cannot work (not root), the same broker is frozen instead, and the table says so.
FROZEN = "a broker frozen for 60 s (SIGSTOP/SIGCONT: no network namespace here)"
PARTITION_SECONDS = 60
FRESHNESS_RECOVERY_SLO = 60.0  # seconds after a fault's end
OBSERVED_AFTER = 3 * FRESHNESS_RECOVERY_SLO  # how long a slow recovery is followed to measure it
# A 5 s window holds about PACE x CLINICS_PER_PHASE x WINDOW records (one per clinic per request);
# one with fewer than half of that is a stalled machine, not evidence of freshness.
MIN_RECORDS = PACE * CLINICS_PER_PHASE * WINDOW / 2


@dataclass
class Phase:
    """The load of one fault: its own clinics, so its tally is its own."""

    fault: str
    clinics: list[uuid.UUID]
    acknowledged: Counter[str] = field(default_factory=Counter)  # events per clinic (hex id)
    loaded_from: float = 0.0  # the load began (before the fault)
    started: float = 0.0
    ended: float = 0.0  # the fault over: the broker or replica back, the link up
    load_ended: float = 0.0
    acknowledged_at_fault: int = 0
    recovered_after: float | None = None
    rejoined_after: float | None = None  # a restarted replica back in its consumer groups
    load_average: list[float] = field(default_factory=list)  # 1-minute, sampled while it ran

    @property
    def achieved_rate(self) -> float:
        """Events a second acknowledged over the phase (PACE x BATCH asked for)."""
        seconds = self.load_ended - self.loaded_from
        return sum(self.acknowledged.values()) / seconds if seconds > 0 else 0.0


@dataclass
class Replica:
    name: str
    work: Path
    process: LiveKpi | None = None


class FrontDoor:
    """A partner posting through a load balancer: the next live replica, the same request again
    on another one when a replica drops the connection (same webhook-id: a retry, never counted
    twice)."""

    def __init__(self, replicas: list[Replica], partner: dict[str, Any]) -> None:
        self.replicas = replicas
        self.partner = partner
        self.turn = 0
        self.answers: defaultdict[int, Counter[str]] = defaultdict(Counter)  # minute -> status
        self.began = time.monotonic()

    async def post(self, client: httpx.AsyncClient, phase: Phase) -> None:
        start = datetime.now(UTC) - timedelta(days=3)
        events = [
            {
                "specversion": "1.0",
                "id": uuid.uuid4().hex,
                "type": "partner.call.answered",
                "time": (start + timedelta(seconds=n)).isoformat(),
                "subject": str(phase.clinics[n % len(phase.clinics)]),
                "data": {"wait_seconds": 18},
            }
            for n in range(BATCH)
        ]
        body = json.dumps(events).encode()
        webhook_id = f"msg_{uuid.uuid4().hex}"
        for _attempt in range(20):
            replica = self.replicas[self.turn % len(self.replicas)]
            self.turn += 1
            if replica.process is None:
                continue
            minute = int((time.monotonic() - self.began) // 60)
            try:
                response = await client.post(
                    f"{replica.process.url}/v1/partner-events",
                    content=body,
                    headers=signed(self.partner, body, webhook_id=webhook_id),
                )
            except httpx.TransportError as error:  # no answer at all (not a 5xx): the next replica
                self.answers[minute][type(error).__name__] += 1
                await asyncio.sleep(0.2)
                continue
            self.answers[minute][str(response.status_code)] += 1
            if response.status_code == 202:
                for n in range(BATCH):
                    phase.acknowledged[phase.clinics[n % len(phase.clinics)].hex] += 1
                return
            await asyncio.sleep(float(response.headers.get("retry-after", "0.5")))


async def start_replica(cluster: KafkaCluster, database_url: str, replica: Replica) -> None:
    replica.process = await asyncio.to_thread(
        start_kpi_process,
        cluster.bootstrap,
        replica.work,
        database_url=database_url,
        service_name="kpi",  # one consumer group for both replicas
        outbox_poll_seconds="0.2",
    )
    live = replica.process
    try:
        await until_ready(live, within=120)
    except AssertionError as error:
        tail = live.log.read_text(errors="replace")[-3000:]
        raise AssertionError(f"{error}; the end of its log:\n{tail}") from error


def kill(replica: Replica) -> None:
    if replica.process is not None:
        replica.process.process.send_signal(signal.SIGKILL)
        replica.process.process.wait()
        replica.process = None


def outbox_waiting(database_url: str) -> int:
    import asyncpg  # noqa: PLC0415 - only this suite reads the outbox directly

    async def count() -> int:
        connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return int(await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
        finally:
            await connection.close()

    return asyncio.run(count())


async def test_two_kpi_replicas_lose_and_repeat_nothing_while_broker_replica_and_relay_die(
    cluster: KafkaCluster, postgres: PostgresServer, namespace: NetworkNamespace | None, tmp_path: Path
) -> None:
    faults = (*FAULTS, CUT_OFF if namespace else FROZEN)
    database_url = postgres.create_database("cluster_kpi")
    replicas = [Replica("kpi-a", tmp_path / "kpi-a"), Replica("kpi-b", tmp_path / "kpi-b")]
    try:
        for replica in replicas:
            await start_replica(cluster, database_url, replica)
        officer = f"officer-cluster-{uuid.uuid4().hex[:6]}"
        first = replicas[0].process
        assert first is not None
        clinics = await register_live_clinics(
            cluster.bootstrap, first, officer_id=officer, count=CLINICS_PER_PHASE * len(faults)
        )
        partner = await create_live_partner(first, officer_id=officer, clinic_ids=clinics)
        phases = [
            Phase(fault, clinics[n * CLINICS_PER_PHASE : (n + 1) * CLINICS_PER_PHASE])
            for n, fault in enumerate(faults)
        ]
        door = FrontDoor(replicas, partner)
        readable_total = 0

        async def watch() -> None:
            nonlocal readable_total
            while True:
                counts = await readable(database_url)
                readable_total = int(sum(counts.values()))
                for phase in phases:
                    readable_phase = sum(counts.get(clinic.hex, 0) for clinic in phase.clinics)
                    if (
                        phase.started
                        and phase.recovered_after is None
                        and readable_phase >= phase.acknowledged_at_fault
                        and phase.acknowledged_at_fault
                    ):
                        phase.recovered_after = time.monotonic() - phase.started
                await asyncio.sleep(0.25)

        def loading(phase: Phase) -> bool:
            """Until 20 s after the fault's end, and on while freshness is not yet back: its windows
            need records flowing, past the SLO's 60 s too, so that a miss is measured."""
            if not phase.ended:
                return True
            after = time.monotonic() - phase.ended
            waiting = freshness.recovered_after(phase.ended) is None
            return after < 20 or (waiting and after < OBSERVED_AFTER + 2 * WINDOW)

        async def load(phase: Phase) -> None:
            async with httpx.AsyncClient(timeout=30) as client:
                began = phase.loaded_from = time.monotonic()
                sent = 0
                while loading(phase):
                    await door.post(client, phase)
                    sent += 1
                    if sent % int(PACE) == 0:
                        phase.load_average.append(os.getloadavg()[0])
                    ahead = began + sent / PACE - time.monotonic()
                    if ahead > 0:
                        await asyncio.sleep(ahead)
                phase.load_ended = time.monotonic()

        async def fault(phase: Phase, index: int) -> None:
            await asyncio.sleep(8)  # load first, then the kill
            phase.acknowledged_at_fault = sum(phase.acknowledged.values())
            phase.started = time.monotonic()
            if index == 0:
                await asyncio.to_thread(cluster.nodes[1].kill)
                await asyncio.sleep(10)
                await asyncio.to_thread(cluster.nodes[1].start)
            elif index == 1:
                kill(replicas[0])
                await asyncio.sleep(5)
                await start_replica(cluster, database_url, replicas[0])
                await rejoin(phase)
            elif index == 2:
                # The relay of replica b, while rows wait in the outbox (a replica is its relay).
                async def rows_waiting() -> bool:
                    return await asyncio.to_thread(outbox_waiting, database_url) > 0

                await eventually(rows_waiting, within=30, what="outbox rows waiting")
                kill(replicas[1])
                await asyncio.sleep(5)
                await start_replica(cluster, database_url, replicas[1])
                await rejoin(phase)
            elif namespace is not None:
                await asyncio.to_thread(namespace.cut)
                await asyncio.sleep(PARTITION_SECONDS)
                await asyncio.to_thread(namespace.heal)
            else:
                broker = cluster.nodes[2].process
                assert broker is not None
                os.kill(broker.pid, signal.SIGSTOP)
                await asyncio.sleep(PARTITION_SECONDS)
                os.kill(broker.pid, signal.SIGCONT)
            phase.ended = phase.ended or time.monotonic()

        async def rejoin(phase: Phase) -> None:
            """The fault ends with the replica ready; then both replicas in every kpi group again."""
            phase.ended = time.monotonic()
            await until_members(cluster.bootstrap, consumer_groups("kpi"), 2, within=120)
            phase.rejoined_after = time.monotonic() - phase.ended

        freshness = FreshnessWatch(min_records=MIN_RECORDS)
        live_urls = lambda: [r.process.url for r in replicas if r.process is not None]  # noqa: E731
        watcher = asyncio.gather(watch(), freshness.run(live_urls))
        try:
            for index, phase in enumerate(phases):
                await asyncio.gather(load(phase), fault(phase, index))
            total = sum(sum(phase.acknowledged.values()) for phase in phases)

            async def all_readable() -> bool:
                return readable_total >= total and all(p.recovered_after is not None for p in phases)

            await eventually(all_readable, within=180, what=f"{total:,} acknowledged events readable")
            await asyncio.sleep(3)  # a twice-counted event would show by now
            counts = await readable(database_url)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
    finally:
        for replica in replicas:
            kill(replica)

    rows = []
    for phase in phases:
        counted = {clinic.hex: counts.get(clinic.hex, 0.0) for clinic in phase.clinics}
        tally = Tally.of(phase.fault, {k: float(v) for k, v in phase.acknowledged.items()}, counted)
        fresh_again = freshness.recovered_after(phase.ended)
        lowest = freshness.worst_between(phase.started, phase.ended + FRESHNESS_RECOVERY_SLO)
        rows.append((tally, phase.recovered_after or float("nan"), fresh_again, lowest))
    print(
        "\n| fault | acknowledged | counted | lost | duplicated | recovery | freshness within SLO again "
        "| worst 5 s within 1 s |\n|---|---|---|---|---|---|---|---|"
    )
    for tally, recovery, fresh_again, lowest in rows:
        again = (
            f"not within {OBSERVED_AFTER:.0f} s"
            if fresh_again is None
            else f"{fresh_again:.0f} s after its end"
        )
        print(
            f"| {tally.what} | {tally.sent:,} | {tally.counted:,} | {tally.lost} | {tally.duplicated} "
            f"| {recovery:.1f} s | {again} | {'n/a' if lowest is None else f'{lowest:.0%}'} |"
        )
    # What the machine allowed: the same freshness measure needs the load to be there to judge.
    print(
        "\n| fault | load asked | load achieved | within 1 s before the fault | load average (1 min) "
        "| restarted replica in every kpi group again |\n|---|---|---|---|---|---|"
    )
    for phase in phases:
        before = freshness.share_between(phase.loaded_from, phase.started)
        averages = phase.load_average or [os.getloadavg()[0]]
        rejoined = (
            "n/a" if phase.rejoined_after is None else f"{phase.rejoined_after:.0f} s after it was ready"
        )
        print(
            f"| {phase.fault} | {PACE * BATCH:,.0f} events/s | {phase.achieved_rate:,.0f} events/s "
            f"| {'n/a' if before is None else f'{before:.0%}'} "
            f"| {min(averages):.1f} to {max(averages):.1f} on {os.cpu_count()} cores "
            f"| {rejoined} |"
        )
    worst = 0.0
    for minute, answers in sorted(door.answers.items()):
        http = sum(n for status, n in answers.items() if status.isdigit())
        errors = sum(n for status, n in answers.items() if status.startswith("5"))
        share = errors / http if http else 0.0
        worst = max(worst, share)
        print(f"minute {minute}: {dict(answers)} -> 5xx {share:.2%}")
    assert all(tally.lost == 0 and tally.duplicated == 0 for tally, *_ in rows), rows
    assert worst < 0.01, door.answers
    late = [
        (tally.what, again, f"load average up to {max(phase.load_average or [0.0]):.1f}")
        for (tally, _, again, _), phase in zip(rows, phases, strict=True)
        if again is None or again > FRESHNESS_RECOVERY_SLO
    ]
    # The SLO's bar, not loosened for a busy machine: a miss fails, with the measure and the load.
    assert not late, f"freshness not back under its SLO within {FRESHNESS_RECOVERY_SLO:.0f} s: {late}"
