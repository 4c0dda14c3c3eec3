"""Two replicas of a service on one database: outbox relays publish each row once and in each
clinic's order, periodic work runs once per period, and rate limits count across both
(real PostgreSQL and Kafka; the relays on SQLite too)."""

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from deploy.local.postgres import PostgresServer
from services.intake.models import metadata
from shared import clock, db, leases
from shared.broker import create_broker
from shared.events import ClinicRegistered
from shared.outbox import OutboxRelay, add_to_outbox
from shared.public_links import RateLimit, TooManyRequests
from shared.rate_counts import DatabaseStorage, RateCount
from shared.settings import SharedSettings
from shared.topics import CLINIC_REGISTERED
from tests.kafka_io import header, read_all
from tests.polling import eventually

REPLICAS = 2


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/replicas.db"
    else:
        postgres: PostgresServer = request.getfixturevalue("postgres")
        url = postgres.create_database("replicas")
    engine = db.create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    await engine.dispose()
    yield url


async def replica_engines(url: str) -> list[AsyncEngine]:
    """One engine per replica: separate connection pools, as separate processes have."""
    return [db.create_engine(url) for _ in range(REPLICAS)]


async def test_two_relays_publish_each_row_once_and_each_clinic_in_order(
    kafka: str, database_url: str, tmp_path: Path
) -> None:
    engines = await replica_engines(database_url)
    sessions = [db.create_session_factory(engine) for engine in engines]
    officer = f"officer-replicas-{uuid.uuid4()}"
    clinics = [uuid.uuid4() for _ in range(7)]
    written: list[tuple[str, str]] = []  # (clinic, event id) in the order they were written
    async with sessions[0]() as session:
        for n in range(420):
            clinic = clinics[n % len(clinics)]
            event = ClinicRegistered(
                clinic_id=clinic, officer_id=officer, name=f"Clinic {n}", specialty="x", locations=1
            )
            envelope = add_to_outbox(session, event, source="/faio/test", subject=str(clinic))
            written.append((str(clinic), envelope.id))
        await session.commit()

    brokers = [
        create_broker(
            SharedSettings(kafka_bootstrap_servers=kafka, service_name=f"replica-{n}", traces_dir=tmp_path)
        )
        for n in range(REPLICAS)
    ]
    published: Counter[int] = Counter()
    relays = [
        OutboxRelay(sessions=factory, broker=broker, poll_seconds=0.05, batch_size=30)
        for factory, broker in zip(sessions, brokers, strict=True)
    ]

    async def relay_loop(n: int) -> None:
        while True:
            published[n] += await relays[n].publish_pending()
            await asyncio.sleep(0)

    for broker in brokers:
        await broker.start()
    loops = [asyncio.create_task(relay_loop(n)) for n in range(REPLICAS)]
    try:

        async def all_out() -> bool:
            return sum(published.values()) >= len(written)

        await eventually(all_out, within=60, what="every outbox row published")
        await asyncio.sleep(1)  # a relay publishing a row twice would do it by now
    finally:
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        for broker in brokers:
            await broker.stop()
        for engine in engines:
            await engine.dispose()

    records = sorted(await read_all(kafka, CLINIC_REGISTERED.name), key=lambda r: (r.partition, r.offset))
    ours = {event_id for _, event_id in written}
    seen = [(header(r, "ce_subject"), header(r, "ce_id")) for r in records if header(r, "ce_id") in ours]
    assert sum(published.values()) == len(written)
    assert Counter(event_id for _, event_id in seen) == Counter(ours), "each row exactly once"
    for clinic_id in map(str, clinics):
        assert [e for c, e in seen if c == clinic_id] == [e for c, e in written if c == clinic_id]
    if database_url.startswith("postgresql"):
        assert all(published[n] > 0 for n in range(REPLICAS)), f"both relays took rows: {published}"


async def test_two_lease_holders_run_each_period_once(postgres: PostgresServer) -> None:
    url = postgres.create_database("leases")
    engines = await replica_engines(url)
    async with engines[0].begin() as connection:
        await connection.run_sync(metadata.create_all)
    sessions = [db.create_session_factory(engine) for engine in engines]
    runs: list[tuple[str, Any]] = []

    def work(holder: str) -> Any:
        async def run() -> None:
            runs.append((holder, leases.period_end(clock.now(), 1.0)))

        return run

    holders = [
        asyncio.create_task(
            leases.every_period(factory, "test.period", 1.0, work(f"replica-{n}"), holder=f"r{n}")
        )
        for n, factory in enumerate(sessions)
    ]
    try:
        await asyncio.sleep(4.5)
        # Ten takers at once on a fresh period's name: one wins.
        taken = await asyncio.gather(
            *(
                leases.take(sessions[n % REPLICAS], "test.burst", period_seconds=60, holder=f"b{n}")
                for n in range(10)
            )
        )
    finally:
        for task in holders:
            task.cancel()
        await asyncio.gather(*holders, return_exceptions=True)
        for engine in engines:
            await engine.dispose()
    periods = Counter(end for _, end in runs)
    assert len(periods) >= 4, runs
    assert set(periods.values()) == {1}, f"a period ran more than once: {runs}"
    assert max(periods) - min(periods) == timedelta(seconds=len(periods) - 1), "no period skipped"
    assert taken.count(True) == 1


async def test_a_rate_limit_counts_the_hits_of_both_replicas(postgres: PostgresServer) -> None:
    url = postgres.create_database("limits")
    engines = await replica_engines(url)
    async with engines[0].begin() as connection:
        await connection.run_sync(metadata.create_all)
    # Two apps' requests: each replica's app keeps its counts in the one database.
    requests: list[Any] = [
        SimpleNamespace(
            app=SimpleNamespace(
                state=SimpleNamespace(rate_counts=DatabaseStorage(db.create_session_factory(e)))
            )
        )
        for e in engines
    ]
    limit = RateLimit("5/minute", scope=f"test-{uuid.uuid4()}")

    async def hit(n: int) -> bool:
        try:
            await limit.hit("203.0.113.9", requests[n % REPLICAS])
        except TooManyRequests:
            return False
        return True

    try:
        allowed = await asyncio.gather(*(hit(n) for n in range(12)))
        assert allowed.count(True) == 5
        await limit.reset()
        assert await hit(0)
    finally:
        for engine in engines:
            await engine.dispose()


async def test_ended_rate_windows_are_pruned_once_a_period_by_one_replica(database_url: str) -> None:
    engines = await replica_engines(database_url)
    storages = [DatabaseStorage(db.create_session_factory(engine)) for engine in engines]
    try:
        live = await storages[0].incr("live-client", expiry=3600)
        async with db.create_session_factory(engines[0])() as session:
            for n in range(5):  # clients seen once, whose windows ended a while ago
                session.add(RateCount(key=f"gone-{n}", count=3, expires_at=time.time() - 60 * (n + 1)))
            await session.commit()
        pruners = [asyncio.create_task(storage.prune_every_period(period_seconds=1)) for storage in storages]

        async def only_live_left() -> bool:
            async with db.create_session_factory(engines[1])() as session:
                keys = (await session.exec(select(RateCount.key))).all()
            return list(keys) == ["live-client"]

        try:
            await eventually(only_live_left, within=10, what="ended windows deleted, the live one kept")
        finally:
            for pruner in pruners:
                pruner.cancel()
            await asyncio.gather(*pruners, return_exceptions=True)
        assert live == 1 and await storages[1].get("live-client") == 1
        assert await storages[1].incr("live-client", expiry=3600) == 2  # still counting in its window
        async with db.create_session_factory(engines[0])() as session:
            lease = await session.get(leases.Lease, "rate_counts.prune")
        assert lease is not None and lease.holder
    finally:
        for engine in engines:
            await engine.dispose()
