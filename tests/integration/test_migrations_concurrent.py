"""A service and its Temporal worker start together on one database and both migrate it: the
upgrades take turns (a file lock beside SQLite, an advisory lock on PostgreSQL), so neither fails
with "table already exists" on a fresh database."""

import asyncio
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from deploy.local.postgres import PostgresServer
from shared import db

ROOT = Path(__file__).parents[2]
MIGRATE = (
    "import asyncio, sys; from pathlib import Path; from shared import db; "
    "asyncio.run(db.migrate(sys.argv[1], Path('services/roadmap/migrations')))"
)


async def migrate_in_two_processes(url: str) -> list[tuple[int | None, str]]:
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", MIGRATE, url, cwd=ROOT, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(2)
    ]
    results = []
    for process in processes:
        _, stderr = await process.communicate()
        results.append((process.returncode, stderr.decode()[-500:]))
    return results


async def version_of(url: str) -> str:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            return str(
                (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
            )
    finally:
        await engine.dispose()


@pytest.mark.parametrize("attempt", range(3))
async def test_two_processes_migrate_one_fresh_sqlite_database(tmp_path: Path, attempt: int) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / f'roadmap-{attempt}.db'}"
    results = await migrate_in_two_processes(url)
    assert [code for code, _ in results] == [0, 0], results
    assert await version_of(url)


async def test_two_processes_migrate_one_fresh_postgres_database(postgres: PostgresServer) -> None:
    url = postgres.create_database("roadmap_race")
    results = await migrate_in_two_processes(url)
    assert [code for code, _ in results] == [0, 0], results
    assert await version_of(url)
