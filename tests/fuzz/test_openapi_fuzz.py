"""Every operation of every service's OpenAPI, fuzzed over real HTTP: no input may cause a 5xx.

The services run as `make run` runs them (uvicorn processes on free ports, the session's real
broker and Temporal server); the fuzzer calls them as a real officer, and the partner-events
route as a real partner (API key and Standard Webhooks signature). Each service prints its
operations, examples and server errors (pytest -s, or the summary below on failure).
"""

import asyncio
import os
import time
import uuid
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.e2e.stack import running_stack
from tests.fuzz.fuzzing import KNOWN_SERVER_ERRORS, Caller, Partner, ServiceReport, fuzz_service
from tests.services import FACTORIES

pytestmark = pytest.mark.integration

# Cases per operation and generation mode (valid, then schema-breaking); sized so the whole run
# stays within about three minutes on two cores.
EXAMPLES_PER_MODE = int(os.environ.get("FAIO_FUZZ_EXAMPLES", "25"))
READY_WITHIN_SECONDS = 60.0


def _caller(urls: dict[str, str]) -> Caller:
    """A real officer with one clinic, and a partner of kpi linked to it."""
    with httpx.Client(timeout=30.0) as http:
        created = http.post(
            f"{urls['intake']}/v1/officers",
            json={"name": "Fuzz Officer", "email": f"fuzz-{uuid.uuid4().hex[:10]}@example.org"},
        )
        assert created.status_code == 201, created.text
        token = created.json()["token"]
        auth = {"authorization": f"Bearer {token}"}
        clinic = http.post(
            f"{urls['intake']}/v1/clinics",
            json={"name": "Fuzz Clinic", "specialty": "family medicine", "locations": 1},
            headers=auth,
        )
        assert clinic.status_code == 201, clinic.text
        clinic_id = clinic.json()["id"]
        path_ids = {"clinic_id": clinic_id}
        partner = None
        if "kpi" in urls:
            registered = _when_kpi_knows_clinic(http, urls["kpi"], auth, clinic_id)
            partner = Partner(api_key=registered["api_key"], webhook_secret=registered["webhook_secret"])
            path_ids["partner_id"] = registered["id"]
    return Caller(officer_token=token, partner=partner, path_ids=path_ids)


def _when_kpi_knows_clinic(
    http: httpx.Client, kpi_url: str, auth: dict[str, str], clinic_id: str
) -> dict[str, str]:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while True:
        response = http.post(
            f"{kpi_url}/v1/partners", json={"name": "Fuzz Partner", "clinic_ids": [clinic_id]}, headers=auth
        )
        if response.status_code == 201:
            body: dict[str, str] = response.json()
            return body
        assert time.monotonic() < deadline, f"kpi never learned of the clinic: {response.text}"
        time.sleep(0.5)


async def test_no_input_makes_any_service_answer_a_server_error(
    kafka: str, temporal: WorkflowEnvironment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = temporal.client.service_client.config.target_host
    services = tuple(FACTORIES)  # the portal too, once it is one of the platform's services
    with running_stack(
        kafka=kafka, temporal=target, data_dir=tmp_path, services=services, workers=()
    ) as stack:
        caller = await asyncio.to_thread(_caller, stack.urls)
        reports: list[ServiceReport] = []
        for service in services:
            report = await asyncio.to_thread(
                fuzz_service, service, stack.urls[service], caller, examples=EXAMPLES_PER_MODE
            )
            reports.append(report)
            with capsys.disabled():
                print(f"\nfuzz {report.summary()}")
                for operation in report.operations:
                    if operation.statuses["401"]:
                        print(f"  401 x{operation.statuses['401']}: {operation.label}")
                for finding in report.findings(known=True):
                    known = KNOWN_SERVER_ERRORS[finding.service, finding.method, finding.path]
                    print(f"  known: {finding.reproduction()} ({known})")
    unexpected = [finding for report in reports for finding in report.findings(known=False)]
    assert not unexpected, "server errors:\n" + "\n".join(
        f"{finding.service}: {finding.reproduction()}" for finding in unexpected
    )
