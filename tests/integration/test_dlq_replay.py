"""`faio dlq list / show / replay` end to end on the real broker: a record parked while the
consumer could not process it is applied once replayed, and a second replay changes nothing."""

import asyncio
import json
import sys
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlmodel import select

from services.audit.models import AuditClinic
from shared import topics
from shared.counters import INBOX_DUPLICATES
from shared.events import ClinicRegistered, envelope_for
from tests.kafka_io import produce
from tests.polling import eventually
from tests.services import running

FAIO = Path(sys.executable).parent / "faio"


async def run_faio(*args: str) -> tuple[int, str]:
    """Run a `faio` command the way a person would: its exit code and everything it printed."""
    process = await asyncio.create_subprocess_exec(
        str(FAIO), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, output.decode()


async def faio(*args: str) -> str:
    code, output = await run_faio(*args)
    assert code == 0, output
    return output


async def test_a_parked_event_is_applied_once_by_replay(kafka: str, tmp_path: Path) -> None:
    clinic_id = uuid.uuid4()
    event = ClinicRegistered(
        clinic_id=clinic_id,
        officer_id="officer-dlq-replay",
        name="Harbor Clinic",
        specialty="pediatrics",
        locations=1,
    )
    table = AuditClinic.__tablename__
    async with running("audit", kafka=kafka, data_dir=tmp_path) as platform:
        audit = platform["audit"].runtime
        # The fault: audit's clinic table is gone, so every attempt fails and the event is parked.
        async with audit.engine.begin() as connection:
            await connection.execute(text(f"ALTER TABLE {table} RENAME TO {table}_away"))
        headers = envelope_for(event, source="/faio/intake", subject=str(clinic_id)).to_headers()
        await produce(
            kafka,
            topics.CLINIC_REGISTERED.name,
            event.model_dump_json().encode(),
            key=str(clinic_id),
            headers=headers,
        )

        async def parked() -> dict[str, str] | None:
            listed = json.loads(
                await faio(
                    "dlq", "list", "--topic", topics.CLINIC_REGISTERED.name, "--json", "--kafka", kafka
                )
            )
            return next((item for item in listed if item["event_id"] == headers["ce_id"]), None)

        letter = await eventually(parked, within=60, what="the event to be dead-lettered")
        assert letter["original_topic"] == topics.CLINIC_REGISTERED.name
        assert "no such table" in letter["reason"]

        shown = json.loads(await faio("dlq", "show", letter["id"], "--json", "--kafka", kafka))
        assert json.loads(shown["body"])["clinic_id"] == str(clinic_id)
        assert shown["headers"]["ce_id"] == headers["ce_id"]

        # The fix, then the replay.
        async with audit.engine.begin() as connection:
            await connection.execute(text(f"ALTER TABLE {table}_away RENAME TO {table}"))
        await faio("dlq", "replay", letter["id"], "--kafka", kafka)

        async def recorded() -> AuditClinic | None:
            async with audit.sessions() as session:
                return await session.get(AuditClinic, clinic_id)

        assert (await eventually(recorded, what="the replayed clinic in audit")).name == "Harbor Clinic"

        duplicates = INBOX_DUPLICATES.labels("audit.on_clinic_registered")
        before = duplicates._value.get()
        await faio("dlq", "replay", letter["id"], "--kafka", kafka)

        async def skipped() -> bool:
            return bool(duplicates._value.get() > before)

        await eventually(skipped, what="the second replay to be skipped by the inbox")
        async with audit.sessions() as session:
            rows = (await session.exec(select(AuditClinic).where(AuditClinic.id == clinic_id))).all()
        assert len(rows) == 1


async def test_dlq_commands_refuse_a_malformed_id_with_what_ids_look_like() -> None:
    code, output = await run_faio("dlq", "show", "not-an-id")
    assert code == 1
    assert "<topic>.dlq:<partition>:<offset>" in output
