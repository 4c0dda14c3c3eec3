"""The three public pages (assessment, task log, survey) share one shape: the link checked by the
portal first, then the owning service asked; a bad link or a silent service gets a page saying what
to do, never a 500. Here every service is unreachable, so only the portal's own answers show."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider

from services.portal.app import create_app
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


@pytest.fixture
async def portal(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = SETTINGS.model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}", "mail_interval_seconds": 0}
    )
    app = create_app(settings, TracerProvider())
    await db.migrate(settings.resolved_database_url, MIGRATIONS)
    down = httpx.MockTransport(unreachable)
    app.state.service_http = {
        name: httpx.AsyncClient(transport=down, base_url=f"http://{name}")
        for name in ("intake", "audit", "roadmap")
    }
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
