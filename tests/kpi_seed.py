"""Clinics recorded in a kpi database before its process starts (tests and benchmarks that publish
partner events in bulk: kpi refuses events for clinics it does not know)."""

import uuid
from pathlib import Path

from services.kpi.models import KpiClinic
from shared import db

MIGRATIONS = Path(__file__).resolve().parents[1] / "services" / "kpi" / "migrations"


async def seed_clinics(
    database_url: str, clinic_ids: list[uuid.UUID], *, officer_id: str = "officer-seed"
) -> None:
    """Migrate kpi's database and record the clinics, as clinic.registered would."""
    await db.migrate(database_url, MIGRATIONS)
    engine = db.create_engine(database_url)
    try:
        async with db.create_session_factory(engine)() as session:
            for clinic_id in clinic_ids:
                session.add(KpiClinic(id=clinic_id, officer_id=officer_id, name="Seeded Clinic"))
            await session.commit()
    finally:
        await engine.dispose()
