"""Fixtures shared by the unit tests."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.kpi.models import metadata as kpi_metadata
from services.portal.tables import metadata as portal_metadata
from shared import db


@pytest.fixture
async def kpi_sessions(tmp_path: Path) -> AsyncIterator[db.SessionFactory]:
    """Sessions on a scratch SQLite file holding the kpi service's tables."""
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'kpi.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(kpi_metadata.create_all)
    yield db.create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def portal_sessions(tmp_path: Path) -> AsyncIterator[db.SessionFactory]:
    """Sessions on a scratch SQLite file holding the portal's tables."""
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(portal_metadata.create_all)
    yield db.create_session_factory(engine)
    await engine.dispose()
