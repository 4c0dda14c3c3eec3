"""A token revoked at intake is refused by audit, roadmap and kpi too, from intake's revocation event;
the portal acts at the officer's current token version and ends sessions opened before a revocation."""

import re
from pathlib import Path
from uuid import uuid4

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.browser.story import StrategyStack, assessed_and_audited_clinic
from tests.polling import eventually
from tests.services import Platform, running

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


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, f"no form on {page.url}"
    return found.group(1)


async def signed_in_browser(platform: Platform, email: str) -> httpx.AsyncClient:
    """A browser of its own (cookie jar) that opened a sign-in link intake made for `email`."""
    browser = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=platform["portal"].app), base_url="http://portal"
    )
    opened = await browser.get(f"/sign-in?token={await sign_in_token(platform, email)}")
    assert opened.status_code == 303 and opened.headers["location"] == "/portfolio", opened.text
    return browser


async def sign_in_token(platform: Platform, email: str) -> str:
    link = await platform["intake"].http.post("/v1/officers/sign-in-links", json={"email": email})
    assert link.status_code == 201, link.text
    return str(link.json()["url"]).partition("token=")[2]


async def test_after_a_revocation_the_portal_signs_in_acts_and_prints_and_older_sessions_end(
    kafka: str, temporal: WorkflowEnvironment, tmp_path: Path
) -> None:
    """`faio officer token --revoke-previous`, then: a session opened before is sent to sign in with
    a plain message, an unspent older link is refused, and a new sign-in acts at intake and prints
    the practice report (in the browser and with the new bearer token)."""
    target = temporal.client.service_client.config.target_host
    async with running(
        "intake", "roadmap", "portal", kafka=kafka, data_dir=tmp_path, temporal_address=target
    ) as platform:
        email = f"revoke-{uuid4().hex[:8]}@example.org"
        created = await platform["intake"].http.post(
            "/v1/officers", json={"name": "R Officer", "email": email}
        )
        officer_id, old_token = created.json()["officer"]["id"], created.json()["token"]
        stack = StrategyStack(platform, portal_url="", kafka=kafka)
        clinic_id = await assessed_and_audited_clinic(stack, officer_id, "Harbor Family Practice")

        before = await signed_in_browser(platform, email)
        unspent = await sign_in_token(platform, email)
        shown = await before.get("/prospects")
        assert shown.status_code == 200 and "Intake did not answer" not in shown.text

        issued = await platform["intake"].http.post(
            "/v1/officers/tokens", json={"email": email, "revoke_previous": True}
        )
        assert issued.status_code == 201, issued.text
        new_token = issued.json()["token"]

        # The revocation event alone ends the older session, on its next request.
        async def ended() -> httpx.Response | None:
            answer = await before.get("/prospects")
            return answer if answer.status_code == 303 else None

        refused = await eventually(ended, within=30, what="the portal ending the session opened before")
        assert refused.headers["location"] == "/sign-in"
        told = await before.get("/sign-in")
        assert "signed out because your officer tokens were revoked" in told.text
        assert (await before.get("/portfolio")).headers.get("location") == "/sign-in"  # gone for good
        stale = await before.get(f"/sign-in?token={unspent}")
        assert stale.status_code == 400 and "made before your tokens were revoked" in stale.text

        after = await signed_in_browser(platform, email)
        prospects = await after.get("/prospects")
        assert prospects.status_code == 200 and "Intake did not answer" not in prospects.text
        made = await after.post(
            "/prospects/invites",
            data={"csrf_token": csrf_of(prospects), "label": "Harbor", "expires_in_days": "7"},
        )
        assert made.status_code == 201 and 'id="new-invite"' in made.text, made.text

        pdf = await after.get(f"/clinics/{clinic_id}/report.pdf")
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")

        api_pdf = await platform["portal"].http.get(
            f"/v1/clinics/{clinic_id}/report.pdf", headers={"Authorization": f"Bearer {new_token}"}
        )
        assert api_pdf.status_code == 200, api_pdf.text
        assert api_pdf.content.startswith(b"%PDF-")
        old_pdf = await platform["portal"].http.get(
            f"/v1/clinics/{clinic_id}/report.pdf", headers={"Authorization": f"Bearer {old_token}"}
        )
        assert old_pdf.status_code == 401 and "revoked" in old_pdf.text
        await before.aclose()
        await after.aclose()
