"""Public-link machinery: signed links per purpose, bot checks, and the per-client rate limit."""

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI

from shared.app import install_error_handlers
from shared.errors import Refused
from shared.public_links import (
    ASK_FOR_A_NEW_LINK,
    FORM_STAMP_AUDIENCE,
    LinkPurpose,
    LinkRefused,
    RateLimit,
    RefusalReason,
    check_submission,
    issue_form_stamp,
    issue_link,
    verify_link,
)
from shared.settings import SharedSettings

SETTINGS = SharedSettings(secret_key="test-secret-for-public-links-32-bytes-long")
IN_A_WEEK = datetime.now(UTC) + timedelta(days=7)


def test_a_link_verifies_for_its_own_purpose_and_names_its_row_and_subject() -> None:
    token = issue_link(
        SETTINGS, purpose=LinkPurpose.TASK_LOG, link_id="lnk-1", subject_id="audit-9", expires_at=IN_A_WEEK
    )
    claims = verify_link(SETTINGS, token, purpose=LinkPurpose.TASK_LOG)
    assert (claims.link_id, claims.subject_id, claims.purpose) == ("lnk-1", "audit-9", LinkPurpose.TASK_LOG)
    assert abs((claims.expires_at - IN_A_WEEK).total_seconds()) < 1


def test_an_expired_link_is_refused_as_expired_with_what_to_do() -> None:
    token = issue_link(
        SETTINGS,
        purpose=LinkPurpose.PROSPECT,
        link_id="lnk-1",
        subject_id="officer-1",
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    with pytest.raises(LinkRefused) as refused:
        verify_link(SETTINGS, token, purpose=LinkPurpose.PROSPECT)
    assert refused.value.reason is RefusalReason.EXPIRED
    assert ASK_FOR_A_NEW_LINK in refused.value.message
    assert isinstance(refused.value, Refused)  # so it maps to 422 in the one place


@pytest.mark.parametrize(
    "token",
    [
        # signed with another key
        issue_link(
            SharedSettings(secret_key="someone-else-with-a-key-of-32-bytes-or-more"),
            purpose=LinkPurpose.PROSPECT,
            link_id="l",
            subject_id="s",
            expires_at=IN_A_WEEK,
        ),
        # a valid link for another purpose: a task-log link never opens a prospect form
        issue_link(SETTINGS, purpose=LinkPurpose.TASK_LOG, link_id="l", subject_id="s", expires_at=IN_A_WEEK),
        # cut short when pasted
        issue_link(SETTINGS, purpose=LinkPurpose.PROSPECT, link_id="l", subject_id="s", expires_at=IN_A_WEEK)[
            :-6
        ],
        "not-a-token",
        "",
        # an officer's sign-in shaped token without a link id
        jwt.encode(
            {"sub": "o", "aud": "faio-prospect", "iss": "faio", "exp": IN_A_WEEK},
            SETTINGS.secret_key,
            algorithm="HS256",
        ),
    ],
)
def test_forged_changed_or_foreign_links_are_refused_as_forged(token: str) -> None:
    with pytest.raises(LinkRefused) as refused:
        verify_link(SETTINGS, token, purpose=LinkPurpose.PROSPECT)
    assert refused.value.reason is RefusalReason.FORGED


def test_a_revoked_link_is_refused_with_the_same_advice() -> None:
    refusal = LinkRefused(RefusalReason.REVOKED)
    assert "withdrawn" in refusal.message and ASK_FOR_A_NEW_LINK in refusal.message


def test_a_person_who_took_their_time_passes_the_bot_checks() -> None:
    shown = datetime.now(UTC) - timedelta(seconds=40)
    stamp = issue_form_stamp(SETTINGS, link_id="lnk-1", now=shown)
    check_submission(SETTINGS, link_id="lnk-1", honeypot="", form_stamp=stamp, min_fill_seconds=20)


def test_a_filled_honeypot_is_refused_naming_the_field() -> None:
    stamp = issue_form_stamp(SETTINGS, link_id="lnk-1", now=datetime.now(UTC) - timedelta(minutes=1))
    with pytest.raises(Refused, match="'website' must be left empty"):
        check_submission(
            SETTINGS, link_id="lnk-1", honeypot="http://spam", form_stamp=stamp, min_fill_seconds=20
        )


def test_a_form_sent_faster_than_a_person_fills_it_is_refused() -> None:
    stamp = issue_form_stamp(SETTINGS, link_id="lnk-1", now=datetime.now(UTC) - timedelta(seconds=3))
    with pytest.raises(Refused, match=r"'form_stamp'.*faster than a person"):
        check_submission(SETTINGS, link_id="lnk-1", honeypot="", form_stamp=stamp, min_fill_seconds=20)


@pytest.mark.parametrize(
    ("stamp", "problem"),
    [
        ("", "missing or not one faio made"),
        (
            jwt.encode(
                {
                    "lid": "lnk-1",
                    "started_at": 0,
                    "iss": "faio",
                    "aud": FORM_STAMP_AUDIENCE,
                    "exp": IN_A_WEEK,
                },
                "another-key-that-is-at-least-32-bytes-long",
                algorithm="HS256",
            ),
            "missing or not one faio made",
        ),
        (
            issue_form_stamp(SETTINGS, link_id="lnk-2", now=datetime.now(UTC) - timedelta(minutes=1)),
            "another link",
        ),
        (
            issue_form_stamp(SETTINGS, link_id="lnk-1", now=datetime.now(UTC) - timedelta(hours=3)),
            "open too long",
        ),
    ],
)
def test_a_missing_forged_foreign_or_stale_stamp_is_refused(stamp: str, problem: str) -> None:
    with pytest.raises(Refused, match=problem):
        check_submission(SETTINGS, link_id="lnk-1", honeypot="", form_stamp=stamp, min_fill_seconds=20)


def rate_limited_app(limit: RateLimit) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/submit", dependencies=[Depends(limit)])
    async def submit() -> dict[str, str]:
        return {"status": "ok"}

    return app


async def test_the_rate_limit_answers_429_with_retry_after_per_client() -> None:
    limit = RateLimit("3/minute", scope="test-form")
    app = rate_limited_app(limit)
    first = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("10.0.0.1", 1)), base_url="http://t"
    )
    other = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("10.0.0.2", 1)), base_url="http://t"
    )
    async with first, other:
        answers = [(await first.post("/submit")).status_code for _ in range(3)]
        refused = await first.post("/submit")
        assert (await other.post("/submit")).status_code == 200  # another client has its own count
    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "wait" in refused.json()["detail"]


async def test_a_limit_can_count_any_key_such_as_a_link() -> None:
    limit = RateLimit("2/hour", scope="per-link")
    await limit.hit("lnk-1")
    await limit.hit("lnk-1")
    await limit.hit("lnk-2")
    with pytest.raises(Exception, match="too many requests") as refused:
        await limit.hit("lnk-1")
    assert getattr(refused.value, "status_code", None) == 429
    await limit.reset()
    await limit.hit("lnk-1")


async def test_link_refusals_map_to_422_naming_what_to_do() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/open/{token}")
    async def open_form(token: str) -> dict[str, str]:
        return {"link": verify_link(SETTINGS, token, purpose=LinkPurpose.PROSPECT).link_id}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answer = await client.get("/open/garbage")
    assert answer.status_code == 422
    assert ASK_FOR_A_NEW_LINK in answer.json()["detail"]
