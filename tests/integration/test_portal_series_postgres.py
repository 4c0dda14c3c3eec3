"""The portfolio's KPI series written on PostgreSQL, whose driver binds at most 32,767 parameters a
statement: a batch of thousands of clinic KPIs (nine parameters a row) is written whole."""

import uuid
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from deploy.local.postgres import PostgresServer
from services.portal.read_model import projection
from services.portal.read_model.models import PortalKpiSeries
from shared import db

MIGRATIONS = Path(__file__).parents[2] / "services" / "portal" / "migrations"


async def test_thousands_of_clinic_kpis_are_written_within_the_drivers_parameter_limit(
    postgres: PostgresServer,
) -> None:
    url = postgres.create_database("portal")
    await db.migrate(url, MIGRATIONS)
    engine = db.create_engine(url)
    sessions = db.create_session_factory(engine)
    pairs = {(uuid.uuid4(), "no_show_rate") for _ in range(4_000)}
    try:
        async with sessions() as session:
            await projection.refresh_series(session=session, pairs=pairs)
            await session.commit()
            written = (await session.exec(select(func.count()).select_from(PortalKpiSeries))).one()
    finally:
        await engine.dispose()
    assert written == len(pairs)
