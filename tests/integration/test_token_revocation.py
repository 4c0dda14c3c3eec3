"""A token revoked at intake is refused by audit, roadmap and kpi too, from intake's revocation event."""

from pathlib import Path
from uuid import uuid4

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.polling import eventually
from tests.services import running

# An authenticated read at each service (an empty list for a new officer).
PROBES = {
    "audit": "/v1/clinics/{clinic}/audits",
    "roadmap": "/v1/clinics/{clinic}/plans",
    "kpi": "/v1/partners",
}
OTHERS = tuple(PROBES)


async def test_a_revoked_token_is_refused_by_every_service(
    kafka: str, temporal: WorkflowEnvironment, tmp_path: Path
) -> None:
    target = temporal.client.service_client.config.target_host
    async with running(
        "intake",
        *OTHERS,
        kafka=kafka,
        data_dir=tmp_path,
        temporal_address=target,
        task_queue=f"roadmap-{uuid4()}",
        audit_task_queue=f"audit-{uuid4()}",
    ) as platform:
        email = f"revoke-{uuid4().hex[:8]}@example.org"
        created = await platform["intake"].http.post(
            "/v1/officers", json={"name": "R Officer", "email": email}
        )
        old = {"Authorization": f"Bearer {created.json()['token']}"}

        async def answer(service: str, headers: dict[str, str]) -> int:
            http: httpx.AsyncClient = platform[service].http
            return (await http.get(PROBES[service].format(clinic=uuid4()), headers=headers)).status_code

        for service in OTHERS:
            assert await answer(service, old) != 401, f"{service} refused a valid token"

        revoked = await platform["intake"].http.post("/v1/officers/token-revocations", json={"email": email})
        assert revoked.status_code == 200, revoked.text
        issued = await platform["intake"].http.post("/v1/officers/tokens", json={"email": email})
        new = {"Authorization": f"Bearer {issued.json()['token']}"}

        for service in OTHERS:

            async def refused(service: str = service) -> bool:
                return await answer(service, old) == 401

            await eventually(refused, within=30, what=f"{service} refusing the revoked token")
            assert await answer(service, new) != 401, f"{service} refused the new token"
