"""A clinic registered while Temporal is down still reaches every service; nothing waits on Temporal
but the requests that need it, which answer 503 meanwhile and work again once it is back.

Real broker, every service in process, and a Temporal dev server of this test's own that it stops
and starts again on the same port and database file.
"""

import asyncio
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

from temporalio.client import Client

from deploy.local.kafka import free_port
from services.audit.models import AuditClinic
from services.audit.windows import audit_workflow_id
from services.kpi.models import KpiClinic
from services.roadmap.models import RoadmapClinic
from shared.temporal import DEV_SERVER_SEARCH_ATTRIBUTES
from tests.conftest import TEMPORAL_CLI
from tests.polling import eventually
from tests.services import registered_officer, running


class DevTemporal:
    """A Temporal dev server this test can stop and start again (same port, same SQLite file)."""

    def __init__(self, directory: Path) -> None:
        self.port, self.http_port, self.metrics_port = free_port(), free_port(), free_port()
        self.database = directory / "temporal.db"
        self.log = directory / "temporal.log"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = await asyncio.create_subprocess_exec(
                str(TEMPORAL_CLI),
                "server",
                "start-dev",
                "--headless",
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--http-port",
                str(self.http_port),
                "--metrics-port",
                str(self.metrics_port),
                "--db-filename",
                str(self.database),
                "--sqlite-pragma",
                "journal_mode=WAL",
                *DEV_SERVER_SEARCH_ATTRIBUTES,
                "--log-level",
                "error",
                stdout=output,
                stderr=output,
            )

        async def answers() -> bool:
            try:
                client = await Client.connect(self.address)
                return await client.service_client.check_health()
            except RuntimeError:  # not listening yet
                return False

        await eventually(answers, within=60, what=f"Temporal to start (log: {self.log})")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 30)
        self.process = None

    async def __aenter__(self) -> "DevTemporal":
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()


async def test_a_clinic_registered_while_temporal_is_down_reaches_every_service(
    kafka: str, tmp_path: Path
) -> None:
    async with (
        DevTemporal(tmp_path) as temporal,
        running(
            "intake",
            "audit",
            "roadmap",
            "kpi",
            kafka=kafka,
            data_dir=tmp_path,
            temporal_address=temporal.address,
            task_queue=f"roadmap-outage-{uuid.uuid4()}",
            audit_task_queue=f"audit-outage-{uuid.uuid4()}",
        ) as platform,
    ):
        # Intake only takes tokens of officers it knows: a real one, created at intake.
        _, token = await registered_officer(platform["intake"].http)
        headers = {"Authorization": f"Bearer {token}"}
        for name in ("audit", "roadmap"):  # both had Temporal before it went away
            await platform[name].app.state.temporal.client(within=60)
        await temporal.stop()

        registered = await platform["intake"].http.post(
            "/v1/clinics",
            json={
                "name": "Eastgate Family Clinic",
                "specialty": "family medicine",
                "staff": [{"role": "front desk", "headcount": 2, "hourly_cost": 24.0}],
                "systems": {"emr": "athenahealth"},
            },
            headers=headers,
        )
        assert registered.status_code == 201, registered.text
        clinic_id = uuid.UUID(registered.json()["id"])

        # Temporal is still down: the registration reaches audit, roadmap and kpi all the same.
        for name, table in (("audit", AuditClinic), ("roadmap", RoadmapClinic), ("kpi", KpiClinic)):

            async def recorded(name: str = name, table: Any = table) -> Any:
                async with platform[name].runtime.sessions() as session:
                    return await session.get(table, clinic_id)

            await eventually(recorded, within=60, what=f"{name} to record the clinic while Temporal is down")
        assert (
            await platform["intake"].http.get(f"/v1/clinics/{clinic_id}", headers=headers)
        ).status_code == 200
        initiatives = await platform["roadmap"].http.get(
            f"/v1/clinics/{clinic_id}/initiatives", headers=headers
        )
        assert initiatives.status_code == 200, initiatives.text
        assert initiatives.json()["waiting_for"]  # known, waiting for its assessment and audit

        # What does need Temporal says so, and leaves nothing half done.
        refused = await platform["audit"].http.post(f"/v1/clinics/{clinic_id}/audits", headers=headers)
        assert refused.status_code == 503, refused.text
        assert "Temporal" in refused.json()["detail"] and "try again" in refused.json()["detail"]
        listed = await platform["audit"].http.get(f"/v1/clinics/{clinic_id}/audits", headers=headers)
        assert listed.json() == []

        await temporal.start()

        async def opened() -> Any:
            response = await platform["audit"].http.post(f"/v1/clinics/{clinic_id}/audits", headers=headers)
            return response if response.status_code == 201 else None

        window = await eventually(opened, within=60, what="audit to open a window once Temporal is back")
        client = await Client.connect(temporal.address)
        description = await client.get_workflow_handle(audit_workflow_id(window.json()["id"])).describe()
        assert description.workflow_type == "AuditWindowWorkflow"
