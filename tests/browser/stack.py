"""Serving an in-process portal on a real port for a real browser, and publishing events as the
other services do (CloudEvents headers, clinic id as key) for what no API in the stack makes yet.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.async_api import Page, ViewportSize

from deploy.local.kafka import free_port
from services.portal.settings import PortalSettings
from shared.auth import issue_sign_in_token
from shared.events.envelope import EventBody, envelope_for
from tests.kafka_io import produce
from tests.polling import eventually

ARTEFACTS = Path(__file__).resolve().parents[2] / ".local" / "artefacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
PHONE = ViewportSize(width=390, height=844)


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app (already started by its lifespan) on a free local port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return bool(server.started)

    await eventually(started, within=30, what="the portal's HTTP server")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def publish(kafka: str, event: EventBody, *, clinic_id: str, source: str) -> None:
    envelope = envelope_for(event, source=source, subject=clinic_id)
    await produce(
        kafka,
        event.topic.name,
        event.model_dump_json().encode(),
        key=clinic_id,
        headers=envelope.to_headers(),
    )


async def sign_in(page: Page, base_url: str, officer_id: str, name: str = "Dana Officer") -> None:
    """Open a one-time sign-in link, as the officer gets it by email (or from the CLI)."""
    token, _ = issue_sign_in_token(PortalSettings(environment="test"), officer_id=officer_id, name=name)
    await page.goto(f"{base_url}/sign-in?token={token}")


async def screenshot(page: Page, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
