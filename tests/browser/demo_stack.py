"""The whole real stack `make demo` fills: every service on a real port, both workers, Kafka and
Temporal; shared by the demo's browser tests."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from services.audit.activities import AuditActivities
from services.audit.worker import create_worker as create_audit_worker
from services.portal.settings import PortalSettings
from services.roadmap.plans.worker import create_worker as create_roadmap_worker
from tests.browser.stack import served
from tests.services import Platform, running

NAMES = ("intake", "audit", "roadmap", "kpi", "portal")


@asynccontextmanager
async def demo_platform(
    kafka: str, temporal: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[tuple[Platform, dict[str, str], PortalSettings]]:
    """The running services, their URLs and the portal settings the demo fills them through."""
    target = temporal.client.service_client.config.target_host
    roadmap_queue, audit_queue = f"demo-roadmap-{uuid.uuid4()}", f"demo-audit-{uuid.uuid4()}"
    async with (
        running(
            *NAMES,
            kafka=kafka,
            data_dir=tmp_path,
            temporal_address=target,
            task_queue=roadmap_queue,
            audit_task_queue=audit_queue,
        ) as platform,
        AsyncExitStack() as stack,
    ):
        for name in ("audit", "roadmap", "kpi"):
            await asyncio.wait_for(platform[name].app.state.broker_connected.wait(), timeout=60)
        client = await Client.connect(target)
        await stack.enter_async_context(
            create_audit_worker(client, audit_queue, AuditActivities(platform["audit"].runtime.sessions))
        )
        await stack.enter_async_context(
            create_roadmap_worker(client, roadmap_queue, platform["roadmap"].runtime.sessions)
        )
        urls = {name: await stack.enter_async_context(served(platform[name].app)) for name in NAMES}
        settings = PortalSettings(
            environment="test",
            public_url=urls["portal"],
            intake_url=urls["intake"],
            audit_url=urls["audit"],
            roadmap_url=urls["roadmap"],
            kpi_url=urls["kpi"],
        )
        # Intake writes sign-in links for the portal it knows: this test's.
        platform["intake"].runtime.settings.portal_url = urls["portal"]  # type: ignore[attr-defined]
        yield platform, urls, settings
