"""The staff survey's public page in the portal, with roadmap's real app behind it (both in process).

No account, no text field: five taps. Links that are expired, revoked or forged get a page that says
so and what to do; the portal limits each address; roadmap keeps the honeypot and fill-time checks.
"""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider

from services.portal.app import create_app
from services.portal.routes import survey
from services.portal.settings import PortalSettings
from shared import db
from shared.public_links import LinkPurpose, RateLimit, issue_link
from tests.unit.test_roadmap_buy_in_api import AGREEABLE, BuyInApp, roadmap

__all__ = ["roadmap"]
MIGRATIONS = Path(__file__).parents[2] / "services" / "portal" / "migrations"
WHAT_TO_DO = "ask the officer who sent it for a new link"


@pytest.fixture
async def portal(tmp_path: Path, roadmap: BuyInApp) -> AsyncIterator[httpx.AsyncClient]:
    settings = PortalSettings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}",
        mail_interval_seconds=0,
    )
    app = create_app(settings, TracerProvider())
    await db.migrate(settings.resolved_database_url, MIGRATIONS)
    app.state.service_http = {
        "roadmap": httpx.AsyncClient(
            transport=httpx.ASGITransport(app=roadmap.app), base_url="http://roadmap"
        )
    }
    await survey.answers_per_address.reset()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://portal.test"
    ) as http:
        yield http
    await app.state.runtime.engine.dispose()


def form_of(page: str) -> dict[str, str]:
    """What a browser would send back untouched: the hidden stamp and the empty honeypot."""
    stamp = re.search(r'name="form_stamp" value="([^"]+)"', page)
    assert stamp, page
    return {"form_stamp": stamp.group(1), "website": ""}


async def test_the_page_asks_five_questions_and_takes_the_answers(
    portal: httpx.AsyncClient, roadmap: BuyInApp
) -> None:
    plan_id = await roadmap.plan()
    survey = await roadmap.open_round(plan_id)
    token = survey["links"][0]["link_token"]
    page = await portal.get(f"/survey/{token}")
    assert page.status_code == 200
    assert "Hilltop Family" in page.text and "before the pilot starts" in page.text
    assert page.text.count('<fieldset class="question') == 5
    assert "<textarea" not in page.text and 'type="text" name="website"' in page.text  # only the hidden trap
    assert plan_id not in page.text

    half = {**form_of(page.text), "job_security_worry": "2", "confidence_to_learn": "4"}
    again = await portal.post(f"/survey/{token}", data=half)
    assert again.status_code == 422
    assert "Please answer every question" in again.text
    assert again.text.count("choose one answer") == 3
    assert 'value="2" required\n                 checked' in again.text  # what they chose stays chosen

    sent = await portal.post(
        f"/survey/{token}",
        data={**form_of(page.text), **{key: str(value) for key, value in AGREEABLE.items()}},
    )
    assert sent.status_code == 200, sent.text
    assert "Your answers were recorded, without your name" in sent.text
    # The link took its answer: sending again, or opening it again, is refused.
    again = await portal.post(
        f"/survey/{token}",
        data={**form_of(page.text), **{key: str(value) for key, value in AGREEABLE.items()}},
    )
    assert again.status_code == 410 and "used already" in again.text
    reopened = await portal.get(f"/survey/{token}")
    assert reopened.status_code == 410 and "used already" in reopened.text
    assert (await roadmap.close(plan_id, survey["id"]))["results"]["responses"] == 1


async def test_expired_revoked_and_forged_links_show_what_to_do(
    portal: httpx.AsyncClient, roadmap: BuyInApp
) -> None:
    plan_id = await roadmap.plan()
    survey = await roadmap.open_round(plan_id)
    expired = issue_link(
        roadmap.settings,
        purpose=LinkPurpose.BUY_IN_SURVEY,
        link_id=survey["id"],
        subject_id=plan_id,
        expires_at=datetime.now(UTC) - timedelta(hours=1),
    )
    # The portal checks the link itself first, as for the other public forms: gone (410) when it
    # expired, not found (404) when faio did not make it.
    for token, why, status in (
        (expired, "this link has expired", 410),
        ("not-a-link-at-all", "not one faio made", 404),
        ("cut", "not one faio made", 404),
        (survey["links"][0]["link_token"][:-6], "not one faio made", 404),
    ):
        page = await portal.get(f"/survey/{token}")
        assert page.status_code == status, page.text
        assert "This survey link does not open" in page.text
        assert why in page.text and WHAT_TO_DO in page.text
    await roadmap.http.post(
        f"/v1/plans/{plan_id}/buy-in/surveys/{survey['id']}/revoke", headers=roadmap.auth()
    )
    token = survey["links"][0]["link_token"]
    revoked = await portal.post(f"/survey/{token}", data={"form_stamp": "x", **AGREEABLE})
    assert revoked.status_code == 410
    assert "withdrawn by the officer" in revoked.text and WHAT_TO_DO in revoked.text


async def test_bots_are_refused_and_each_address_is_limited(
    portal: httpx.AsyncClient, roadmap: BuyInApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = [link["link_token"] for link in (await roadmap.open_round(await roadmap.plan()))["links"]]
    page = await portal.get(f"/survey/{tokens[0]}")
    answers = {key: str(value) for key, value in AGREEABLE.items()}
    bot = await portal.post(
        f"/survey/{tokens[0]}", data={**form_of(page.text), **answers, "website": "buy pills"}
    )
    assert bot.status_code == 422 and "must be left empty" in bot.text

    monkeypatch.setattr(survey, "answers_per_address", RateLimit("2/minute", scope="test-portal-survey"))
    for token in tokens[:2]:  # a shared phone in the break room: two colleagues, each their own link
        page = await portal.get(f"/survey/{token}")
        assert (
            await portal.post(f"/survey/{token}", data={**form_of(page.text), **answers})
        ).status_code == 200
    page = await portal.get(f"/survey/{tokens[2]}")
    limited = await portal.post(f"/survey/{tokens[2]}", data={**form_of(page.text), **answers})
    assert limited.status_code == 429
    assert "Too many answers from your connection" in limited.text
    assert int(limited.headers["Retry-After"]) >= 1
