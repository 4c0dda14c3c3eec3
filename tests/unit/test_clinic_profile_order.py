"""Registration and updates travel on different topics, so an update can overtake the
registration: kpi and roadmap keep the newer profile whichever arrives first."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData

from services.kpi import clinics as kpi_clinics
from services.kpi import models as kpi_models
from services.roadmap import models as roadmap_models
from services.roadmap import tables as roadmap_tables
from services.roadmap.initiatives import proposals as roadmap_proposals
from shared import db
from shared.events import ClinicRegistered
from shared.events.intake import ClinicUpdated

Recorder = Callable[..., Awaitable[Any]]
SERVICES: dict[str, tuple[MetaData, Recorder, Any]] = {
    "kpi": (kpi_models.metadata, kpi_clinics.record_clinic, kpi_models.KpiClinic),
    "roadmap": (roadmap_tables.metadata, roadmap_proposals.record_clinic, roadmap_models.RoadmapClinic),
}


@pytest.fixture(params=sorted(SERVICES))
async def store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[db.SessionFactory, Recorder, Any]]:
    metadata, record_clinic, table = SERVICES[request.param]
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'service.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield db.create_session_factory(engine), record_clinic, table
    await engine.dispose()


def profiles(clinic_id: uuid.UUID) -> tuple[ClinicRegistered, ClinicUpdated]:
    common: dict[str, Any] = {
        "clinic_id": clinic_id,
        "officer_id": "officer-1",
        "specialty": "pediatrics",
        "locations": 1,
    }
    registered = ClinicRegistered(name="Old Name Pediatrics", systems={"emr": "eClinicalWorks"}, **common)
    updated = ClinicUpdated(
        name="New Name Pediatrics",
        systems={"emr": "Epic"},
        changed=["name", "systems"],
        updated_at=datetime.now(UTC),
        **common,
    )
    return registered, updated


@pytest.mark.parametrize("update_first", [False, True], ids=["in order", "update overtakes"])
async def test_the_newer_profile_wins_whatever_the_arrival_order(
    store: tuple[db.SessionFactory, Recorder, Any], update_first: bool
) -> None:
    sessions, record_clinic, table = store
    clinic_id = uuid.uuid4()
    registered, updated = profiles(clinic_id)
    for event in (updated, registered) if update_first else (registered, updated):
        async with sessions() as session:
            await record_clinic(session=session, event=event)
            await session.commit()

    async with sessions() as session:
        clinic = await session.get(table, clinic_id)
    assert clinic is not None
    assert clinic.name == "New Name Pediatrics"
