"""/metrics on the real broker: the figures move with the traffic a test sends."""

import uuid
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.integration.test_clinic_slice import CLINIC
from tests.kafka_io import produce
from tests.polling import eventually
from tests.services import RunningService, registered_officer, running


async def scrape(service: RunningService) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the service's /metrics, keyed by name and sorted labels."""
    response = await service.http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def total(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include `labels`."""
    return sum(
        value
        for (sample, sample_labels), value in samples.items()
        if sample == name and set(labels.items()) <= set(sample_labels)
    )


async def test_metrics_count_requests_consumed_events_dead_letters_and_the_outbox(
    kafka: str, tmp_path: Path
) -> None:
    async with running("intake", "audit", kafka=kafka, data_dir=tmp_path) as platform:
        intake, audit = platform["intake"], platform["audit"]
        topic = "intake.clinic.registered.v1"
        before_intake, before_audit = await scrape(intake), await scrape(audit)

        _, token = await registered_officer(intake.http)
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(3):
            response = await intake.http.post("/v1/clinics", json=CLINIC, headers=headers)
            assert response.status_code == 201, response.text
        await produce(kafka, topic, b"{not json", key=str(uuid.uuid4()), headers={"ce_id": "broken"})

        after_intake = await scrape(intake)
        requests = "http_requests_total"
        assert (
            total(after_intake, requests, handler="/v1/clinics", method="POST", status="2xx")
            - total(before_intake, requests, handler="/v1/clinics", method="POST", status="2xx")
            == 3
        )
        assert ("faio_outbox_backlog", ()) in after_intake
        assert ("faio_outbox_oldest_age_seconds", ()) in after_intake

        async def audit_consumed() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
            samples = await scrape(audit)
            received = "faststream_received_messages_total"
            grew = total(samples, received, handler=topic) - total(before_audit, received, handler=topic)
            parked = total(samples, "faio_dead_letters_total", topic=topic) - total(
                before_audit, "faio_dead_letters_total", topic=topic
            )
            return samples if grew >= 4 and parked >= 1 else None

        after_audit = await eventually(
            audit_consumed, what="audit's metrics to count 4 events and 1 dead letter"
        )
        assert any(name == "faio_consumer_lag" for name, _ in after_audit)

        async def backlog_drained() -> bool:
            return (await scrape(intake))[("faio_outbox_backlog", ())] == 0

        await eventually(backlog_drained, what="intake's outbox backlog to reach 0")


async def test_roadmap_reports_plans_by_phase(kafka: str, tmp_path: Path) -> None:
    async with running("roadmap", kafka=kafka, data_dir=tmp_path) as platform:
        samples = await scrape(platform["roadmap"])
    phases = {dict(labels)["phase"] for name, labels in samples if name == "faio_plans"}
    assert {"baseline", "pilot", "evaluation", "rollout", "sustain", "done", "stopped"} <= phases
    assert total(samples, "faio_plans") == 0  # a new database has no plans
