"""A service and its Temporal worker start together on one database and both migrate it: the
upgrades take turns (a file lock beside SQLite, an advisory lock on PostgreSQL), so neither fails
with "table already exists" on a fresh database."""

import asyncio
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from deploy.local.postgres import PostgresServer
from shared import db
from shared.migrations import alembic_config

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


async def versions_of(url: str) -> set[str]:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            return set((await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars())
    finally:
        await engine.dispose()


def heads() -> set[str]:
    """What alembic_version holds once every revision ran (roadmap's head; the shared branch's
    too if a later shared revision is not among roadmap's dependencies)."""
    config = alembic_config(ROOT / "services" / "roadmap" / "migrations", "sqlite://")
    return {script.revision for script in ScriptDirectory.from_config(config).get_revisions("heads")}


@pytest.mark.parametrize("attempt", range(3))
async def test_two_processes_migrate_one_fresh_sqlite_database(tmp_path: Path, attempt: int) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / f'roadmap-{attempt}.db'}"
    results = await migrate_in_two_processes(url)
    assert [code for code, _ in results] == [0, 0], results
    assert await versions_of(url) == heads()


async def test_two_processes_migrate_one_fresh_postgres_database(postgres: PostgresServer) -> None:
    url = postgres.create_database("roadmap_race")
    results = await migrate_in_two_processes(url)
    assert [code for code, _ in results] == [0, 0], results
    assert await versions_of(url) == heads()
