"""On the real broker: what intake registers reaches the portal's read model and its pages."""

import uuid
from pathlib import Path

import httpx

from services.portal.read_model.models import PortalClinic
from services.portal.settings import PortalSettings
from shared.auth import issue_sign_in_token
from tests.polling import eventually
from tests.services import registered_officer, running

NAME = "Bayside Family Medicine"
CLINIC = {"name": NAME, "specialty": "family medicine", "locations": 2}


async def test_a_clinic_registered_through_intake_appears_in_the_portal(kafka: str, tmp_path: Path) -> None:
    officer_b = f"officer-{uuid.uuid4()}"
    async with running("intake", "portal", kafka=kafka, data_dir=tmp_path) as platform:
        officer_a, token = await registered_officer(platform["intake"].http)
        created = await platform["intake"].http.post(
            "/v1/clinics", json=CLINIC, headers={"Authorization": f"Bearer {token}"}
        )
        assert created.status_code == 201, created.text
        clinic_id = uuid.UUID(created.json()["id"])
        portal = platform["portal"]

        async def projected() -> PortalClinic | None:
            async with portal.runtime.sessions() as session:
                return await session.get(PortalClinic, clinic_id)

        clinic = await eventually(projected, within=60, what="the clinic in the portal's read model")
        assert (clinic.name, clinic.officer_id, clinic.specialty) == (
            NAME,
            officer_a,
            "family medicine",
        )

        # Officer A sees it on the portfolio; officer B neither sees it nor can open it.
        page_a = await _signed_in_get(portal.http, officer_a, "/portfolio")
        assert NAME in page_a.text
        page_b = await _signed_in_get(portal.http, officer_b, "/portfolio")
        assert NAME not in page_b.text
        stranger = await _signed_in_get(portal.http, officer_b, f"/clinics/{clinic_id}")
        assert stranger.status_code == 404
        assert NAME not in stranger.text


async def _signed_in_get(http: httpx.AsyncClient, officer_id: str, path: str) -> httpx.Response:
    http.cookies.clear()
    token, _ = issue_sign_in_token(
        PortalSettings(environment="test"), officer_id=officer_id, name="Test Officer"
    )
    signed_in = await http.get(f"/sign-in?token={token}")
    assert signed_in.status_code == 303, signed_in.text
    return await http.get(path)
