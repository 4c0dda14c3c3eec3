"""The three public pages (assessment, task log, survey) share one shape: the link checked by the
portal first, then the owning service asked; a bad link or a silent service gets a page saying what
to do, never a 500. Here every service is unreachable, so only the portal's own answers show.

The portal asks on its client's behalf (X-Forwarded-For), and believes an X-Forwarded-For only
from a configured proxy: a client cannot become a new one by naming itself anew."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from services.portal.app import create_app
from services.portal.routes.public_forms import PROSPECT_SUBMISSIONS
from services.portal.settings import PortalSettings
from shared import db
from shared.public_links import LinkPurpose, issue_link

MIGRATIONS = Path(__file__).parents[2] / "services" / "portal" / "migrations"
SETTINGS = PortalSettings(environment="test")
PAGES = {
    "/p/": (LinkPurpose.PROSPECT, "The form is not available right now"),
    "/t/": (LinkPurpose.TASK_LOG, "The form is not available right now"),
    "/survey/": (LinkPurpose.BUY_IN_SURVEY, "the survey could not be reached just now"),
}


def unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


async def portal_app(tmp_path: Path, **settings: object) -> FastAPI:
    configured = SETTINGS.model_copy(
        update={
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}",
            "mail_interval_seconds": 0,
            **settings,
        }
    )
    app = create_app(configured, TracerProvider())
    await db.migrate(configured.resolved_database_url, MIGRATIONS)
    down = httpx.MockTransport(unreachable)
    app.state.service_http = {
        name: httpx.AsyncClient(transport=down, base_url=f"http://{name}")
        for name in ("intake", "audit", "roadmap")
    }
    return app


@pytest.fixture
async def portal(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = await portal_app(tmp_path)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://portal.test"
    ) as http:
        yield http
    await app.state.runtime.engine.dispose()


def link(purpose: LinkPurpose, *, expires_in: timedelta = timedelta(days=1)) -> str:
    return issue_link(
        SETTINGS,
        purpose=purpose,
        link_id=str(uuid.uuid4()),
        subject_id=str(uuid.uuid4()),
        expires_at=datetime.now(UTC) + expires_in,
    )


@pytest.mark.parametrize("path", list(PAGES))
async def test_a_service_that_does_not_answer_gets_a_page_saying_to_try_again(
    portal: httpx.AsyncClient, path: str
) -> None:
    purpose, words = PAGES[path]

    page = await portal.get(path + link(purpose))

    assert page.status_code == 503, page.text
    assert words in page.text


@pytest.mark.parametrize("path", list(PAGES))
async def test_expired_forged_and_misused_links_are_refused_before_any_service_is_asked(
    portal: httpx.AsyncClient, path: str
) -> None:
    purpose, _ = PAGES[path]
    other = next(other for other in LinkPurpose if other is not purpose)

    expired = await portal.get(path + link(purpose, expires_in=-timedelta(hours=1)))
    forged = await portal.get(path + link(purpose)[:-6])
    misused = await portal.get(path + link(other))  # a link made for another form

    assert expired.status_code == 410 and "expired" in expired.text
    for refused in (forged, misused):
        assert refused.status_code == 404 and "not one faio made" in refused.text


async def forwarded_by_the_portal(tmp_path: Path, **settings: object) -> list[str | None]:
    """What the portal told intake about whose request it was, for one page opened with a forged
    X-Forwarded-For (from 127.0.0.1, the test client's address)."""
    app = await portal_app(tmp_path, **settings)
    seen: list[str | None] = []

    def intake(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("X-Forwarded-For"))
        return httpx.Response(503, json={"detail": "down"})

    app.state.service_http["intake"] = httpx.AsyncClient(
        transport=httpx.MockTransport(intake), base_url="http://intake"
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://portal.test"
    ) as http:
        await http.get("/p/" + link(LinkPurpose.PROSPECT), headers={"X-Forwarded-For": "198.51.100.7"})
    await app.state.runtime.engine.dispose()
    return seen


async def test_the_portal_passes_on_its_client_believing_x_forwarded_for_only_from_its_proxy(
    tmp_path: Path,
) -> None:
    assert await forwarded_by_the_portal(tmp_path / "direct") == ["127.0.0.1"]
    behind_proxy = await forwarded_by_the_portal(tmp_path / "proxied", forwarded_allow_ips="127.0.0.1")
    assert behind_proxy == ["198.51.100.7"]


async def test_a_new_x_forwarded_for_on_each_submission_is_still_one_client(
    portal: httpx.AsyncClient,
) -> None:
    await PROSPECT_SUBMISSIONS.reset()
    token = link(LinkPurpose.PROSPECT)
    answers = [
        (
            await portal.post(f"/p/{token}", data={}, headers={"X-Forwarded-For": f"198.51.100.{n}"})
        ).status_code
        for n in range(1, 12)
    ]
    await PROSPECT_SUBMISSIONS.reset()
    assert 429 not in answers[:10] and answers[10] == 429, answers
