"""The partner delivery console in the browser, against the real kpi front door.

A partner registered in the portal posts a good batch, a badly signed one and a malformed one to
kpi; the console names each outcome, the refusal's reason and the error rate. Rotating the key
in the portal keeps the old secret valid for the window chosen, and a bad window is refused by name.
"""

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.stack import screenshot, served, sign_in
from tests.integration.kpi_support import partner_event, signed
from tests.polling import eventually
from tests.services import Platform, registered_officer, running

pytestmark = pytest.mark.integration
UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE)


@pytest.fixture(scope="module")
async def stack(kafka: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Platform, str]]:
    data_dir: Path = tmp_path_factory.mktemp("deliveries-stack")
    async with running("intake", "kpi", "portal", kafka=kafka, data_dir=data_dir) as platform:
        for name in ("kpi", "portal"):
            await asyncio.wait_for(platform[name].app.state.broker_connected.wait(), timeout=60)
        async with served(platform["portal"].app) as url:
            yield platform, url


async def post(
    kpi: httpx.AsyncClient, partner: dict[str, Any], body: bytes, webhook_id: str
) -> httpx.Response:
    return await kpi.post(
        "/v1/partner-events", content=body, headers=signed(partner, body, webhook_id=webhook_id)
    )


def batch(clinic_id: str) -> bytes:
    event = partner_event(
        uuid.UUID(clinic_id), "partner.call.missed", {"wait_seconds": 30}, when=datetime.now(UTC)
    )
    return json.dumps([event]).encode()


async def test_console_shows_a_refused_delivery_with_its_reason(
    stack: tuple[Platform, str], page: Page
) -> None:
    platform, portal = stack
    officer_id, token = await registered_officer(platform["intake"].http)
    registered = await platform["intake"].http.post(
        "/v1/clinics",
        json={"name": "Harbour Family Practice", "specialty": "family medicine", "locations": 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert registered.status_code == 201, registered.text
    clinic_id = str(registered.json()["id"])
    await sign_in(page, portal, officer_id)

    async def known() -> bool:
        answer = await page.goto(f"{portal}/clinics/{clinic_id}/partners")
        return answer is not None and answer.status == 200

    await eventually(known, within=60, what="the clinic in the portal")
    await page.get_by_label("Name").fill("Acme Phones")
    await page.get_by_label("Kind").select_option("phone")
    await page.get_by_role("button", name="Register and link").click()
    partner = {
        "api_key": await page.locator("#api-key").input_value(),
        "webhook_secret": await page.locator("#webhook-secret").input_value(),
    }

    kpi = platform["kpi"].http
    assert (await post(kpi, partner, batch(clinic_id), "msg_good_1")).status_code == 202
    forged = dict(partner, webhook_secret="whsec_" + "A" * 44)
    assert (await post(kpi, forged, batch(clinic_id), "msg_forged_2")).status_code == 401
    assert (await post(kpi, partner, b'{"calls": 3}', "msg_malformed_3")).status_code == 422

    await page.goto(f"{portal}/clinics/{clinic_id}/partners")
    await page.locator("#deliveries-link").click()
    console = page.locator("section.console")
    rows = console.locator("table.deliveries tbody tr")
    await expect(rows).to_have_count(3)
    forged_row = console.locator("tr.delivery", has_text="msg_forged_2")
    await expect(forged_row.locator(".pill")).to_have_text("refused")
    await expect(forged_row.locator(".reason")).to_have_text(
        "signature matches none of the partner's valid webhook secrets"
    )
    malformed_row = console.locator("tr.delivery", has_text="msg_malformed_3")
    await expect(malformed_row.locator(".reason")).to_have_text(
        "body is not a non-empty JSON array of CloudEvents"
    )
    await expect(console.locator("tr.delivery", has_text="msg_good_1").locator(".pill")).to_have_text(
        "accepted"
    )
    await expect(console.locator(".error-rate")).to_contain_text(
        "2 of 3 deliveries refused (67 % error rate)"
    )
    await expect(console.locator("table.last-events")).to_contain_text("call missed")
    zone = (await page.locator("table.deliveries tbody tr td").first.inner_text()).split()[-1]
    assert zone.isalpha() and zone.isupper(), zone  # the time zone is named
    text = (
        await page.locator("main").inner_text()
        if await page.locator("main").count()
        else await page.inner_text("body")
    )
    assert UUID.search(text) is None, text
    await screenshot(page, "partner-deliveries")

    # Key rotation: a window of 0 hours is refused next to its field; 2 hours keeps the old secret valid.
    await console.locator("input[name=window_hours]").fill("0")
    await console.get_by_role("button", name="Rotate the secret").click()
    await expect(page.locator(".field-error")).to_contain_text("window_hours")
    await page.locator("section.console input[name=window_hours]").fill("2")
    await page.locator("section.console").get_by_role("button", name="Rotate the secret").click()
    new_secret = await page.locator("#new-secret").input_value()
    assert new_secret.startswith("whsec_") and new_secret != partner["webhook_secret"]
    await expect(page.locator(".rotation")).to_contain_text("previous secret is accepted until")
    assert (await post(kpi, partner, batch(clinic_id), "msg_old_secret_4")).status_code == 202
    renewed = dict(partner, webhook_secret=new_secret)
    assert (await post(kpi, renewed, batch(clinic_id), "msg_new_secret_5")).status_code == 202
