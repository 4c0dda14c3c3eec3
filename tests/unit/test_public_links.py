"""Public-link machinery: signed links per purpose, bot checks, and the per-client rate limit."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.audit.app import create_app as create_audit
from services.audit.settings import AuditSettings
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from services.roadmap.app import create_app as create_roadmap
from services.roadmap.settings import RoadmapSettings
from shared.app import install_error_handlers
from shared.errors import Refused
from shared.public_links import (
    ASK_FOR_A_NEW_LINK,
    FORM_STAMP_AUDIENCE,
    PUBLIC_PATHS,
    REDACT_TOKENS_IN_LOGS,
    LinkPurpose,
    LinkRefused,
    RateLimit,
    RefusalReason,
    check_submission,
    issue_form_stamp,
    issue_link,
    redact_tokens,
    verify_link,
)
from shared.settings import SharedSettings

SETTINGS = SharedSettings(secret_key="test-secret-for-public-links-32-bytes-long")
# The services with public routes: their app factory and settings.
SERVICE_APPS: dict[str, tuple[Callable[..., FastAPI], type[SharedSettings]]] = {
    "intake": (create_intake, IntakeSettings),
    "audit": (create_audit, AuditSettings),
    "roadmap": (create_roadmap, RoadmapSettings),
}
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


def test_signed_tokens_in_a_server_span_are_blanked() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    token = issue_link(
        SETTINGS, purpose=LinkPurpose.PROSPECT, link_id="l", subject_id="s", expires_at=IN_A_WEEK
    )
    with provider.get_tracer("test").start_as_current_span("GET /p/{token}") as span:
        span.set_attribute("http.target", f"/p/{token}")
        span.set_attribute("http.method", "GET")
        redact_tokens(span, {})
    (finished,) = exporter.get_finished_spans()
    assert finished.attributes == {"http.target": "/p/[token]", "http.method": "GET"}


def test_signed_tokens_in_an_access_log_line_are_blanked() -> None:
    token = issue_link(
        SETTINGS, purpose=LinkPurpose.TASK_LOG, link_id="l", subject_id="s", expires_at=IN_A_WEEK
    )
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s"', ("10.0.0.1", "GET", f"/t/{token}"), None
    )
    assert REDACT_TOKENS_IN_LOGS.filter(record)
    assert record.getMessage() == '10.0.0.1 - "GET /t/[token]"'


# --- every public route of the services, limited per client however it names itself --------------

LIMIT = 3


def service_app(service: str, tmp_path: Path, **settings: Any) -> FastAPI:
    """A service's app (no lifespan: the limit comes before any database or broker work)."""
    create_app, settings_class = SERVICE_APPS[service]
    configured = settings_class(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / service}.db",
        kafka_bootstrap_servers="127.0.0.1:9",
        public_requests_per_client=f"{LIMIT}/minute",
        **settings,
    )
    return create_app(configured, TracerProvider())


def public_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every documented operation under /v1/public/ (public routes are in the API's docs)."""
    return sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith(PUBLIC_PATHS)
        for method in operations
    )


async def burst(
    app: FastAPI, method: str, path: str, *, peer: str = "203.0.113.9", same_xff: bool = False
) -> list[int]:
    """LIMIT + 1 requests from one peer, each claiming to be forwarded for a new client."""
    transport = httpx.ASGITransport(app=app, client=(peer, 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        answers = []
        for number in range(LIMIT + 1):
            forwarded = "198.51.100.1" if same_xff else f"198.51.100.{number + 1}"
            body: dict[str, object] | None = {} if method == "POST" else None
            answer = await client.request(method, path, headers={"X-Forwarded-For": forwarded}, json=body)
            assert answer.status_code < 500, answer.text
            answers.append(answer.status_code)
        return answers


@pytest.mark.parametrize("service", sorted(SERVICE_APPS))
async def test_each_public_route_is_limited_per_client_whatever_x_forwarded_for_says(
    service: str, tmp_path: Path
) -> None:
    app = service_app(service, tmp_path)
    routes = public_routes(app)
    assert routes, f"{service} has public routes"
    for method, path in routes:
        answers = await burst(app, method, path)
        assert 429 not in answers[:LIMIT], (method, path, answers)
        assert answers[LIMIT] == 429, (method, path, answers)


async def test_x_forwarded_for_names_the_client_only_from_a_configured_proxy(tmp_path: Path) -> None:
    app = service_app("intake", tmp_path, forwarded_allow_ips="10.1.0.0/16, 192.0.2.7")
    path = "/v1/public/prospect-form"
    # Through the portal (a trusted proxy): each forwarded client has its own budget ...
    assert 429 not in await burst(app, "GET", path, peer="10.1.2.3")
    # ... and one client is one client, whichever proxy it comes through.
    assert (await burst(app, "GET", path, peer="192.0.2.7", same_xff=True))[LIMIT] == 429
    # Anyone else's X-Forwarded-For is ignored: the connection is the client.
    assert (await burst(app, "GET", path, peer="203.0.113.50"))[LIMIT] == 429


def test_forwarded_allow_ips_takes_addresses_and_networks_only() -> None:
    assert SharedSettings(forwarded_allow_ips="127.0.0.1, 10.0.0.0/8,::1").trusted_proxies == [
        "127.0.0.1",
        "10.0.0.0/8",
        "::1",
    ]
    assert SharedSettings().trusted_proxies == []
    with pytest.raises(ValueError, match="'portal' is not an address or a network"):
        SharedSettings(forwarded_allow_ips="portal")
