"""The trace files a person reads (`.local/traces/<service>.jsonl`), read back: one request's
trace holds every hop with correct parents, nothing is lost to export errors, and idle
background polling writes no root spans."""

import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest

from services.audit.models import AuditClinic
from services.kpi.models import KpiClinic
from services.roadmap.models import RoadmapClinic
from tests.integration.test_clinic_slice import CLINIC, recorded_in
from tests.polling import eventually
from tests.services import registered_officer, running

SERVICES = ("intake", "audit", "roadmap", "kpi")
TOPIC = "intake.clinic.registered.v1"


def read_spans(traces_dir: Path) -> list[dict[str, Any]]:
    spans = []
    for service in SERVICES:
        for line in (traces_dir / f"{service}.jsonl").read_text().splitlines():
            span = json.loads(line)
            span["service"] = span["resource"]["attributes"]["service.name"]
            spans.append(span)
    return spans


async def test_one_request_is_one_complete_trace_in_the_span_files(
    kafka: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    traces_dir = tmp_path / "traces"
    caplog.set_level(logging.ERROR)
    async with running(*SERVICES, kafka=kafka, data_dir=tmp_path, traces_dir=traces_dir) as platform:
        _, token = await registered_officer(platform["intake"].http)
        response = await platform["intake"].http.post(
            "/v1/clinics", json=CLINIC, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 201, response.text
        clinic_id = uuid.UUID(response.json()["id"])
        for service, table in (("audit", AuditClinic), ("roadmap", RoadmapClinic), ("kpi", KpiClinic)):
            await eventually(recorded_in(platform, service, table, clinic_id), what=f"{service} to record it")

    spans = read_spans(traces_dir)
    [request] = [
        span for span in spans if span["name"] == "POST /v1/clinics" and span["kind"] == "SpanKind.SERVER"
    ]
    trace_id = request["context"]["trace_id"]
    trace = [span for span in spans if span["context"]["trace_id"] == trace_id]
    ids = {span["context"]["span_id"] for span in trace}

    orphans = [
        span["name"] for span in trace if span["parent_id"] is not None and span["parent_id"] not in ids
    ]
    assert orphans == []
    roots = [span["name"] for span in trace if span["parent_id"] is None]
    assert roots == ["POST /v1/clinics"]

    database = [
        span for span in trace if "db.system" in span["attributes"] or "db.system.name" in span["attributes"]
    ]
    assert any(span["service"] == "intake" and span["name"].startswith("INSERT") for span in database), [
        span["name"] for span in database
    ]
    [publish] = [span for span in trace if span["name"] == f"{TOPIC} publish"]
    assert publish["service"] == "intake" and publish["kind"] == "SpanKind.PRODUCER"
    assert publish["attributes"]["messaging.kafka.message.key"] == str(clinic_id)
    consumers = {span["service"]: span for span in trace if span["name"] == f"{TOPIC} process"}
    assert set(consumers) == {"audit", "roadmap", "kpi"}
    for span in consumers.values():
        assert span["kind"] == "SpanKind.CONSUMER"
    # Each consumer applied the event in a database transaction inside its process span.
    for service in ("audit", "roadmap", "kpi"):
        assert any(span["service"] == service for span in database), (service, str(traces_dir))

    assert not [record for record in caplog.records if "Exception while exporting" in record.getMessage()]
    background = [
        span["name"]
        for span in spans
        if span["parent_id"] is None and ("db.system" in span["attributes"] or span["name"] == "connect")
    ]
    assert background == [], "idle polling wrote root database spans"
