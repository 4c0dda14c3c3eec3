"""From a clinic's page, in the browser, against the real services: open and close an audit (audit
on the real Temporal server, its worker running), register a partner and link or unlink it (kpi).
The portal sends each action to the owning service as the officer and shows the service's answer.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest
from playwright.async_api import Page, expect
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from services.audit.activities import AuditActivities
from services.audit.worker import create_worker as create_audit_worker
from tests.browser.stack import screenshot, served, sign_in
from tests.polling import eventually
from tests.services import Platform, registered_officer, running

pytestmark = pytest.mark.integration


@dataclass
class ActionStack:
    platform: Platform
    portal_url: str


@pytest.fixture(scope="module")
async def action_stack(
    kafka: str, temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ActionStack]:
    target = temporal.client.service_client.config.target_host
    audit_queue = f"portal-actions-audit-{uuid.uuid4()}"
    async with (
        running(
            "intake",
            "audit",
            "kpi",
            "portal",
            kafka=kafka,
            data_dir=tmp_path_factory.mktemp("actions-stack"),
            temporal_address=target,
            audit_task_queue=audit_queue,
        ) as platform,
        AsyncExitStack() as stack,
    ):
        for name in ("audit", "kpi", "portal"):
            await asyncio.wait_for(platform[name].app.state.broker_connected.wait(), timeout=60)
        client = await Client.connect(target)
        await stack.enter_async_context(
            create_audit_worker(client, audit_queue, AuditActivities(platform["audit"].runtime.sessions))
        )
        url = await stack.enter_async_context(served(platform["portal"].app))
        yield ActionStack(platform, url)


async def clinic_page(stack: ActionStack, page: Page) -> tuple[str, str, str]:
    """A new officer with a clinic registered through intake, signed in on that clinic's page."""
    officer_id, token = await registered_officer(stack.platform["intake"].http)
    name = f"Seaside Dermatology {uuid.uuid4().hex[:4]}"
    registered = await stack.platform["intake"].http.post(
        "/v1/clinics",
        json={"name": name, "specialty": "dermatology", "locations": 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert registered.status_code == 201, registered.text
    clinic_id = str(registered.json()["id"])
    await sign_in(page, stack.portal_url, officer_id)

    async def shown() -> bool:
        answer = await page.goto(f"{stack.portal_url}/clinics/{clinic_id}")
        return answer is not None and answer.status == 200

    await eventually(shown, within=60, what=f"{name} in the portal")
    return officer_id, token, clinic_id


async def test_an_audit_opened_and_closed_from_the_clinic_page(action_stack: ActionStack, page: Page) -> None:
    await clinic_page(action_stack, page)
    # A window longer than a month is refused next to the field, before anything is sent to audit.
    await page.locator("#audit-action input[name=days]").fill("40")
    await page.get_by_role("button", name="Open an audit from today").click()
    await expect(page.locator("#audit-action .field-error")).to_contain_text("between 1 and 31")

    await page.locator("#audit-action input[name=days]").fill("5")
    await page.get_by_role("button", name="Open an audit from today").click()
    await expect(page.locator(".flash-ok")).to_contain_text("Audit opened")

    async def open_badge() -> bool:
        await page.reload()
        return await page.locator("#audit-action").get_by_text("audit open").count() == 1

    await eventually(open_badge, within=60, what="audit.audit.opened in the portal")
    await screenshot(page, "clinic-audit-open")
    await page.get_by_role("button", name="Close the audit now").click()
    await expect(page.locator(".flash-ok")).to_contain_text("Audit closing")

    async def completed() -> bool:
        await page.reload()
        return await page.get_by_role("button", name="Open an audit from today").count() == 1

    await eventually(completed, within=60, what="the audit's findings in the portal")
    await expect(page.get_by_text("No audit completed yet")).to_have_count(0)


async def test_a_partner_registered_unlinked_and_linked_again(action_stack: ActionStack, page: Page) -> None:
    _, token, clinic_id = await clinic_page(action_stack, page)
    await page.get_by_role("link", name="Partners: link one, or register a new one").click()
    await page.get_by_role("button", name="Register and link").click()
    await expect(page.locator("#register-partner .field-error")).to_contain_text("name the partner")

    await page.get_by_label("Name").fill("Acme Phones")
    await page.get_by_label("Kind").select_option("phone")
    await page.get_by_role("button", name="Register and link").click()
    await expect(page.locator("#new-partner")).to_contain_text("shown once")
    api_key = await page.locator("#api-key").input_value()
    assert len(api_key) > 20
    await screenshot(page, "partners-registered")

    kpi = action_stack.platform["kpi"].http
    headers = {"Authorization": f"Bearer {token}"}

    async def linked_clinics() -> list[str]:
        partners = (await kpi.get("/v1/partners", headers=headers)).json()
        assert [partner["name"] for partner in partners] == ["Acme Phones"]
        return list(partners[0]["clinic_ids"])

    assert await linked_clinics() == [clinic_id]
    await page.goto(f"{action_stack.portal_url}/clinics/{clinic_id}/partners")  # the secrets are gone
    await expect(page.locator("#api-key")).to_have_count(0)
    await page.locator("#linked").get_by_role("button", name="Unlink").click()
    await expect(page.locator(".flash-ok")).to_contain_text("Unlinked: kpi no longer accepts Acme Phones")
    assert await linked_clinics() == []
    await page.locator("#others").get_by_role("button", name="Link to").click()
    await expect(page.locator(".flash-ok")).to_contain_text("Linked: Acme Phones may now send events")
    assert await linked_clinics() == [clinic_id]
