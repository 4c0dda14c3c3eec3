"""A message that breaks the contract is parked in the dead-letter topic with its reason and
original bytes, and the consumer carries on with the next one (real broker)."""

import json
import uuid
from pathlib import Path

from aiokafka import ConsumerRecord

from services.audit.models import AuditClinic
from shared import topics
from shared.events import ClinicRegistered, envelope_for
from tests.kafka_io import header, produce, read_all
from tests.polling import eventually
from tests.services import running


def registered(clinic_id: uuid.UUID) -> ClinicRegistered:
    return ClinicRegistered(
        clinic_id=clinic_id,
        officer_id="officer-dlq",
        name="Bayview Clinic",
        specialty="urgent care",
        locations=1,
    )


async def test_invalid_events_are_dead_lettered_and_the_consumer_keeps_going(
    kafka: str, tmp_path: Path
) -> None:
    good_id, unknown_field_id, not_json_id, no_id_id = (uuid.uuid4() for _ in range(4))
    topic = topics.CLINIC_REGISTERED

    def headers_for(clinic_id: uuid.UUID) -> dict[str, str]:
        return envelope_for(registered(clinic_id), source="test", subject=str(clinic_id)).to_headers()

    with_unknown_field = json.loads(registered(unknown_field_id).model_dump_json()) | {"patient_name": "Jane"}
    bad = {
        unknown_field_id: (json.dumps(with_unknown_field).encode(), headers_for(unknown_field_id)),
        not_json_id: (b"{not json", headers_for(not_json_id)),
        no_id_id: (
            registered(no_id_id).model_dump_json().encode(),
            {k: v for k, v in headers_for(no_id_id).items() if k != "ce_id"},
        ),
    }

    async with running("audit", kafka=kafka, data_dir=tmp_path) as platform:
        for clinic_id, (value, headers) in bad.items():
            await produce(kafka, topic.name, value, key=str(clinic_id), headers=headers)
        await produce(
            kafka,
            topic.name,
            registered(good_id).model_dump_json().encode(),
            key=str(good_id),
            headers=headers_for(good_id),
        )

        async def good_clinic_recorded() -> AuditClinic | None:
            async with platform["audit"].runtime.sessions() as session:
                return await session.get(AuditClinic, good_id)

        await eventually(good_clinic_recorded, what="audit to process the valid event after the bad ones")

        async def dead_letters() -> dict[str, ConsumerRecord[bytes, bytes]] | None:
            records = await read_all(kafka, topic.dead_letter)
            ours = {record.key.decode(): record for record in records if record.key}
            return ours if {str(clinic_id) for clinic_id in bad} <= set(ours) else None

        parked = await eventually(dead_letters, what="three dead letters")
        async with platform["audit"].runtime.sessions() as session:
            for clinic_id in bad:
                assert await session.get(AuditClinic, clinic_id) is None

    for clinic_id, (value, _headers) in bad.items():
        record = parked[str(clinic_id)]
        assert record.value == value
        assert header(record, "dlq_original_topic") == topic.name
    reason = {clinic_id: header(parked[str(clinic_id)], "dlq_reason") for clinic_id in bad}
    assert "patient_name" in (reason[unknown_field_id] or "")
    assert "Extra inputs are not permitted" in (reason[unknown_field_id] or "")
    assert "JSON" in (reason[not_json_id] or "") or "json" in (reason[not_json_id] or "")
    assert "ce_id is required" in (reason[no_id_id] or "")
