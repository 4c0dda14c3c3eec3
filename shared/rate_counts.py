"""Rate-limit counts in the service's own database, so every replica counts against one limit.

A storage for the `limits` library (its fixed-window strategy): one row per counter, incremented
with one atomic upsert, so two replicas counting at once never lose a hit. The windows are kept on
the system clock, as the `limits` library keeps its own (its Retry-After is measured on it).

A counter whose window ended is reset by its next hit, but a key never hit again (a client seen
once) would stay forever: `prune` deletes ended windows, once per period across the replicas
(a database lease), started by the service app's lifespan.
"""

import time

from limits.aio.storage import Storage
from sqlalchemy import Float, case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, SQLModel, col, select

from shared import leases
from shared.db import SessionFactory, dialect

# How often ended windows are deleted: the table holds at most this long's keys beyond the live ones.
PRUNE_PERIOD_SECONDS = 600.0


class RateCount(SQLModel, table=True):
    """One rate-limit counter: its hits in the window that ends at `expires_at` (epoch seconds)."""

    __tablename__ = "rate_counts"

    key: str = Field(primary_key=True, max_length=400)
    count: int = 0
    expires_at: float = Field(default=0.0, sa_type=Float)


class DatabaseStorage(Storage):
    """The `limits` storage over a service's database (fixed windows only)."""

    STORAGE_SCHEME = ["faio+database"]  # noqa: RUF012 - never from a URI

    def __init__(self, sessions: SessionFactory) -> None:
        super().__init__()
        self.sessions = sessions

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        async with self.sessions() as session:
            insert = postgresql.insert if dialect(session) == "postgresql" else sqlite.insert
            expired = col(RateCount.expires_at) <= now
            statement = (
                insert(RateCount)
                .values(key=key, count=amount, expires_at=now + expiry)
                .on_conflict_do_update(
                    index_elements=[col(RateCount.key)],
                    set_={
                        "count": case((expired, amount), else_=col(RateCount.count) + amount),
                        "expires_at": case((expired, now + expiry), else_=col(RateCount.expires_at)),
                    },
                )
                .returning(col(RateCount.count))
            )
            count = (await session.exec(statement)).scalar_one()
            await session.commit()
        return int(count)

    async def _live(self, key: str) -> RateCount | None:
        async with self.sessions() as session:
            row = await session.get(RateCount, key)
        return row if row is not None and row.expires_at > time.time() else None

    async def get(self, key: str) -> int:
        row = await self._live(key)
        return row.count if row else 0

    async def get_expiry(self, key: str) -> float:
        row = await self._live(key)
        return row.expires_at if row else time.time()

    async def check(self) -> bool:
        async with self.sessions() as session:
            await session.exec(select(RateCount.key).limit(1))
        return True

    async def reset(self) -> int | None:
        return await self.clear_prefix("")

    async def clear(self, key: str) -> None:
        async with self.sessions() as session:
            await session.exec(delete(RateCount).where(col(RateCount.key) == key))
            await session.commit()

    async def clear_prefix(self, prefix: str) -> int:
        """Forget every counter whose key starts with `prefix` (one limit's scope)."""
        async with self.sessions() as session:
            result = await session.exec(delete(RateCount).where(col(RateCount.key).startswith(prefix)))
            await session.commit()
        return int(result.rowcount or 0)

    async def prune(self) -> int:
        """Delete every counter whose window has ended (its next hit would reset it anyway)."""
        async with self.sessions() as session:
            result = await session.exec(delete(RateCount).where(col(RateCount.expires_at) <= time.time()))
            await session.commit()
        return int(result.rowcount or 0)

    async def prune_every_period(self, period_seconds: float = PRUNE_PERIOD_SECONDS) -> None:
        """Prune once per period across every replica of the service, for as long as this runs."""
        await leases.every_period(self.sessions, "rate_counts.prune", period_seconds, self.prune)
