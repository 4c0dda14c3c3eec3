"""On the real broker: an assessment submitted over HTTP arrives on intake.assessment.completed.v1."""

import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from shared import topics
from shared.events.intake import AssessmentCompleted
from tests.services import registered_officer, running
from tests.unit.test_intake_scoring import MIDDLING, WEAK

CLINIC = {
    "name": "Harbor Orthopedics",
    "specialty": "orthopedics",
    "staff": [{"role": "medical assistant", "headcount": 4, "hourly_cost": 22.0}],
    "systems": {"emr": "ModMed"},
}


async def test_a_submitted_assessment_arrives_on_the_broker_with_its_scores(
    kafka: str, tmp_path: Path
) -> None:
    # No consumer group and the earliest offset: the consumer reads the whole topic, whenever it
    # gets its partitions, and keeps only this test's clinic.
    consumer = AIOKafkaConsumer(
        topics.ASSESSMENT_COMPLETED.name,
        bootstrap_servers=kafka,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        async with running("intake", kafka=kafka, data_dir=tmp_path) as platform:
            http = platform["intake"].http
            officer_id, token = await registered_officer(http)
            headers = {"Authorization": f"Bearer {token}"}
            clinic = await http.post("/v1/clinics", json=CLINIC, headers=headers)
            assert clinic.status_code == 201, clinic.text
            clinic_id = clinic.json()["id"]
            path = f"/v1/clinics/{clinic_id}/assessments"
            first = (await http.post(path, json={"answers": WEAK}, headers=headers)).json()
            response = await http.post(path, json={"answers": MIDDLING}, headers=headers)
            assert response.status_code == 201, response.text
            submitted = response.json()

            received: list[tuple[dict[str, bytes], AssessmentCompleted]] = []
            while len(received) < 2:
                batch = await consumer.getmany(timeout_ms=30_000)
                assert batch, "no assessment event reached the broker within 30 s"
                for records in batch.values():
                    for record in records:
                        if record.key == clinic_id.encode():
                            assert record.value is not None
                            event = AssessmentCompleted.model_validate_json(record.value)
                            received.append((dict(record.headers), event))
    finally:
        await consumer.stop()

    (_, earlier), (headers_in, event) = received
    assert earlier.assessment_id == uuid.UUID(first["id"])
    assert event.assessment_id == uuid.UUID(submitted["id"])
    assert str(event.clinic_id) == clinic_id
    assert event.officer_id == officer_id
    assert event.questionnaire_version == "v1"
    # The middling practice of tests/unit/test_intake_scoring.py, computed there by hand.
    assert event.overall_score == 52.4
    assert event.level == "foundational"
    assert event.dimension_scores == {
        "leadership": 58.3,
        "workflows": 50.0,
        "staff": 62.5,
        "data": 58.3,
        "measurement": 33.3,
        "compliance": 66.7,
        "budget": 37.5,
    }
    assert [gap.dimension for gap in event.top_gaps] == ["measurement", "budget", "workflows"]
    assert event.previous_overall_score == 17.9
    assert event.dimension_scores == submitted["dimension_scores"]
    assert headers_in["ce_type"] == b"intake.assessment.completed.v1"
    assert headers_in["ce_subject"] == clinic_id.encode()
    assert submitted["top_gaps"][0]["next_action"] == event.top_gaps[0].next_action
