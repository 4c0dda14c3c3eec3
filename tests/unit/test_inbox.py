"""The inbox every consumer shares (shared/inbox.py): one event or a batch, each id applied once,
and what it skips counted in faio_inbox_duplicates_skipped. PostgreSQL's statements run on a
real server in tests/integration/test_postgres.py and test_kpi_postgres.py."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared import clock, db
from shared.counters import PROCESS_REGISTRY
from shared.events.envelope import Envelope
from shared.inbox import InboxMessage, apply_once, first_deliveries


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[db.SessionFactory]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'inbox.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(db.service_metadata(InboxMessage).create_all)
    yield db.create_session_factory(engine)
    await engine.dispose()


def consumer_name() -> str:
    return f"test.on_{uuid.uuid4().hex[:8]}"


def skipped(consumer: str) -> float:
    return (
        PROCESS_REGISTRY.get_sample_value("faio_inbox_duplicates_skipped_total", {"consumer": consumer})
        or 0.0
    )


async def deliver(sessions: db.SessionFactory, consumer: str, events: list[tuple[str, str]]) -> list[str]:
    """The payloads of `events` (id, payload) applied now, in one committed transaction."""
    async with sessions() as session:
        fresh = await first_deliveries(session, consumer=consumer, events=events, event_id=lambda e: e[0])
        await session.commit()
    return [payload for _, payload in fresh]


async def test_a_redelivered_batch_applies_only_its_new_events_and_counts_the_rest(
    sessions: db.SessionFactory,
) -> None:
    consumer = consumer_name()

    first = await deliver(sessions, consumer, [("a", "A"), ("b", "B"), ("a", "A again"), ("c", "C")])
    again = await deliver(sessions, consumer, [("c", "C"), ("d", "D"), ("b", "B"), ("e", "E"), ("d", "D")])

    assert first == ["A", "B", "C"]  # the first of a repeated id, in order
    assert again == ["D", "E"]
    assert skipped(consumer) == 1 + 3


async def test_consumers_keep_their_own_inbox(sessions: db.SessionFactory) -> None:
    audit, kpi = consumer_name(), consumer_name()

    assert await deliver(sessions, audit, [("same-id", "x")]) == ["x"]
    assert await deliver(sessions, kpi, [("same-id", "x")]) == ["x"]
    assert skipped(audit) == skipped(kpi) == 0


async def test_a_single_event_goes_the_same_way(sessions: db.SessionFactory) -> None:
    consumer = consumer_name()
    headers = Envelope(type="t", source="/tests", subject="clinic").to_headers()
    applied: list[str] = []

    async def effect(_session: AsyncSession) -> None:
        applied.append(headers["ce_id"])

    assert await apply_once(sessions, headers=headers, consumer=consumer, effect=effect)
    assert not await apply_once(sessions, headers=headers, consumer=consumer, effect=effect)

    assert applied == [headers["ce_id"]]
    assert skipped(consumer) == 1


async def test_nothing_is_recorded_when_the_effect_fails(sessions: db.SessionFactory) -> None:
    consumer = consumer_name()
    headers = Envelope(type="t", source="/tests", subject="clinic").to_headers()

    async def failing(_session: AsyncSession) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        await apply_once(sessions, headers=headers, consumer=consumer, effect=failing)

    assert await deliver(sessions, consumer, [(headers["ce_id"], "retried")]) == ["retried"]


async def test_rows_read_back_as_the_orm_writes_them(sessions: db.SessionFactory) -> None:
    consumer = consumer_name()
    await deliver(sessions, consumer, [("a", "A")])

    async with sessions() as session:
        row = (await session.exec(select(InboxMessage).where(InboxMessage.consumer == consumer))).one()

    assert row.event_id == "a"
    assert abs(row.processed_at - clock.now()) < timedelta(minutes=1)
