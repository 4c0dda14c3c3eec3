"""The portal's pages and forms in process (no broker): sign-in, CSRF, field errors, actions.

The other services are stood in for by httpx mock transports that record what the portal sent.
"""

import asyncio
import email
import email.policy
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from sqlmodel import select

from deploy.local.kafka import free_port
from deploy.local.mail_sink import start_sink
from services.portal.app import create_app
from services.portal.officer import staff
from services.portal.officer.models import PortalDismissal
from services.portal.read_model.models import PortalClinic, PortalInitiative, PortalPlan
from services.portal.settings import PortalSettings
from shared import db
from shared.auth import issue_sign_in_token, verify_token
from shared.http_edge import PAGE_POLICY
from shared.public_links import LinkPurpose, issue_link
from tests.polling import eventually

MIGRATIONS = Path(__file__).parents[2] / "services" / "portal" / "migrations"


@dataclass
class FakeService:
    """Answers every request with `status` and `body`, and keeps what it was sent."""

    status: int = 200
    body: object = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    listing: object = None  # what a GET answers instead, when set (a list endpoint)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "GET" and self.listing is not None:
            return httpx.Response(200, json=self.listing)
        return httpx.Response(self.status, json=self.body)


@dataclass
class Portal:
    http: httpx.AsyncClient
    settings: PortalSettings
    sessions: db.SessionFactory
    intake: FakeService
    roadmap: FakeService
    mail_dir: Path
    audit: FakeService = field(default_factory=FakeService)
    kpi: FakeService = field(default_factory=FakeService)
    app: FastAPI | None = None

    async def sign_in(self, officer_id: str) -> str:
        """Sign in with a fresh link; returns the CSRF token of the new session."""
        token, _ = issue_sign_in_token(self.settings, officer_id=officer_id, name="Dana Officer")
        answer = await self.http.get(f"/sign-in?token={token}")
        assert answer.status_code == 303, answer.text
        page = await self.http.get("/portfolio")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match, page.text
        return match.group(1)


@pytest.fixture
async def portal(tmp_path: Path) -> AsyncIterator[Portal]:
    smtp_port = free_port()
    settings = PortalSettings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}",
        smtp_port=smtp_port,
        public_url="http://portal.test",
    )
    sink = start_sink("127.0.0.1", smtp_port, tmp_path / "mail")
    app = create_app(settings, TracerProvider())
    await db.migrate(settings.resolved_database_url, MIGRATIONS)
    fakes = {name: FakeService() for name in ("intake", "roadmap", "audit", "kpi")}
    app.state.service_http = {
        name: httpx.AsyncClient(transport=httpx.MockTransport(fake.handle), base_url=f"http://{name}")
        for name, fake in fakes.items()
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://portal.test"
    ) as http:
        yield Portal(http, settings, app.state.runtime.sessions, mail_dir=tmp_path / "mail", app=app, **fakes)
    sink.stop()
    await app.state.runtime.engine.dispose()


async def add_plan(portal: Portal, officer_id: str) -> tuple[UUID, UUID, str]:
    clinic_id, initiative_id, plan_id = uuid4(), uuid4(), f"plan-{uuid4()}"
    now = datetime.now(UTC)
    async with portal.sessions() as session:
        session.add(
            PortalClinic(id=clinic_id, officer_id=officer_id, name="Harbor Orthopedics", specialty="ortho")
        )
        session.add(
            PortalInitiative(
                id=initiative_id, clinic_id=clinic_id, problem="documentation", kpi="missed_call_rate"
            )
        )
        session.add(
            PortalPlan(
                id=plan_id,
                clinic_id=clinic_id,
                initiative_id=initiative_id,
                phase="evaluation",
                phase_since=now,
                started_at=now,
            )
        )
        await session.commit()
    return clinic_id, initiative_id, plan_id


async def portal_initiative(portal: Portal, initiative_id: UUID) -> PortalInitiative:
    async with portal.sessions() as session:
        found = await session.exec(select(PortalInitiative).where(PortalInitiative.id == initiative_id))
        initiative = found.first()
    assert initiative is not None
    return initiative


async def test_pages_need_a_session_and_a_link_signs_in_once(portal: Portal) -> None:
    assert (await portal.http.get("/portfolio")).headers["location"] == "/sign-in"
    token, _ = issue_sign_in_token(portal.settings, officer_id="officer-a")
    first = await portal.http.get(f"/sign-in?token={token}")
    assert first.status_code == 303 and first.headers["location"] == "/portfolio"
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    portal.http.cookies.clear()
    again = await portal.http.get(f"/sign-in?token={token}")
    assert again.status_code == 400 and "already used" in again.text
    forged = await portal.http.get("/sign-in?token=not-a-token")
    assert forged.status_code == 400 and "does not work" in forged.text


def test_cookies_are_secure_in_production() -> None:
    assert PortalSettings(
        environment="production", secret_key="x" * 40, pseudonym_secret="p" * 40
    ).secure_cookies


async def test_sign_out_needs_the_form_token_and_ends_the_session(portal: Portal) -> None:
    csrf = await portal.sign_in("officer-a")
    refused = await portal.http.post("/sign-out", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    signed_out = await portal.http.post("/sign-out", data={"csrf_token": csrf})
    assert signed_out.status_code == 303
    assert (await portal.http.get("/portfolio")).status_code == 303


async def csrf_for_sign_in_form(portal: Portal) -> str:
    page = await portal.http.get("/sign-in")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


async def test_a_bad_email_is_shown_next_to_the_field(portal: Portal) -> None:
    csrf = await csrf_for_sign_in_form(portal)
    answer = await portal.http.post("/sign-in/email", data={"csrf_token": csrf, "email": "dana at clinic"})
    assert answer.status_code == 422
    assert re.search(r'id="email"[^>]*aria-invalid="true"', answer.text)
    assert 'class="field-error" id="email-error">enter the email address' in answer.text
    assert not portal.intake.requests


async def test_a_link_asked_for_by_email_arrives_by_mail_and_signs_in(portal: Portal) -> None:
    token, expires = issue_sign_in_token(portal.settings, officer_id="officer-mail", name="Dana")
    portal.intake.body = {"token": token, "expires_at": expires.isoformat()}
    csrf = await csrf_for_sign_in_form(portal)
    answer = await portal.http.post("/sign-in/email", data={"csrf_token": csrf, "email": "Dana@Clinic.org"})
    assert answer.status_code == 200 and "a sign-in link is on its way" in answer.text
    sent = portal.intake.requests[0]
    assert sent.url.path == "/v1/officers/sign-in-links"
    assert json.loads(sent.content) == {"email": "dana@clinic.org"}
    mails = list(portal.mail_dir.glob("*.eml"))
    assert len(mails) == 1
    message = email.message_from_bytes(mails[0].read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage) and message["To"] == "Dana@clinic.org"
    body = message.get_content()
    link = re.search(r"http://portal\.test/sign-in\?token=\S+", body)
    assert link
    opened = await portal.http.get(link.group(0).removeprefix("http://portal.test"))
    assert opened.status_code == 303 and opened.headers["location"] == "/portfolio"


async def test_an_unknown_email_gets_the_same_answer_and_no_mail(portal: Portal) -> None:
    portal.intake.status, portal.intake.body = 404, {"detail": "no officer with that email"}
    csrf = await csrf_for_sign_in_form(portal)
    answer = await portal.http.post("/sign-in/email", data={"csrf_token": csrf, "email": "nobody@clinic.org"})
    assert answer.status_code == 200 and "a sign-in link is on its way" in answer.text
    assert not list(portal.mail_dir.glob("*.eml"))


async def ask_for_links(portal: Portal, emails: list[str], **headers: str) -> list[int]:
    csrf = await csrf_for_sign_in_form(portal)
    return [
        (
            await portal.http.post("/sign-in/email", data={"csrf_token": csrf, "email": to}, headers=headers)
        ).status_code
        for to in emails
    ]


async def test_sign_in_links_by_email_are_limited_per_address_whoever_asks(portal: Portal) -> None:
    portal.intake.status, portal.intake.body = 404, {"detail": "no officer with that email"}
    answers = await ask_for_links(portal, ["nobody@clinic.org"] * 4)
    assert answers == [200, 200, 200, 429]  # the same for an officer's address: nothing told apart
    csrf = await csrf_for_sign_in_form(portal)
    refused = await portal.http.post(
        "/sign-in/email", data={"csrf_token": csrf, "email": "Nobody@clinic.org"}
    )
    assert refused.status_code == 429 and "Too many sign-in links" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert len(portal.intake.requests) == 3


async def test_sign_in_links_by_email_are_limited_per_client_however_it_names_itself(portal: Portal) -> None:
    portal.intake.status, portal.intake.body = 404, {"detail": "no officer with that email"}
    answers = [
        (await ask_for_links(portal, [f"person{n}@clinic.org"], **{"X-Forwarded-For": f"198.51.100.{n}"}))[0]
        for n in range(11)
    ]
    assert answers == [200] * 10 + [429]


@pytest.mark.parametrize("officer", [True, False], ids=["an officer's address", "anyone else's"])
async def test_the_answer_goes_out_before_intake_is_asked_who_the_address_is(
    portal: Portal, officer: bool
) -> None:
    """Timing tells nothing: the page is answered before the lookup, the mail sent after it."""
    assert portal.app is not None
    token, _ = issue_sign_in_token(portal.settings, officer_id="officer-timing", name="Dana")
    looked_up, release = asyncio.Event(), asyncio.Event()

    async def slow_intake(request: httpx.Request) -> httpx.Response:
        looked_up.set()
        await release.wait()
        return httpx.Response(201, json={"token": token}) if officer else httpx.Response(404, json={})

    portal.app.state.service_http["intake"] = httpx.AsyncClient(
        transport=httpx.MockTransport(slow_intake), base_url="http://intake"
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(portal.app, port=port, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve())

    async def listening() -> bool:
        return bool(server.started)

    async def mailed() -> list[Path]:
        return list(portal.mail_dir.glob("*.eml"))

    try:
        await eventually(listening, what="the portal to listen")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as browser:
            form = await browser.get("/sign-in")
            match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert match
            answer = await asyncio.wait_for(
                browser.post(
                    "/sign-in/email", data={"csrf_token": match.group(1), "email": "dana@clinic.org"}
                ),
                timeout=10,
            )
            assert answer.status_code == 200 and "a sign-in link is on its way" in answer.text
            assert not release.is_set()  # intake has not answered, whatever it will say
            await asyncio.wait_for(looked_up.wait(), timeout=10)
            release.set()
            if officer:
                await eventually(mailed, what="the mail")
            else:
                await asyncio.sleep(0.2)
                assert not await mailed()
    finally:
        release.set()
        server.should_exit = True
        await serving


async def test_a_gate_decision_goes_to_roadmap_as_the_officer(portal: Portal) -> None:
    csrf = await portal.sign_in("officer-a")
    _clinic, _initiative, plan_id = await add_plan(portal, "officer-a")
    portal.roadmap.status, portal.roadmap.body = 202, {"plan_id": plan_id, "result": "rollout"}
    answer = await portal.http.post(
        f"/plans/{plan_id}/decision", data={"csrf_token": csrf, "action": "continue", "back": "/today"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/today"
    sent = portal.roadmap.requests[0]
    assert sent.url.path == f"/v1/plans/{plan_id}/decisions"
    assert json.loads(sent.content)["action"] == "continue"
    officer = verify_token(portal.settings, sent.headers["authorization"].removeprefix("Bearer "))
    assert officer.id == "officer-a"
    confirmed = await portal.http.get("/today")
    assert "Decision sent: continue to rollout" in confirmed.text


async def test_a_refused_decision_shows_roadmaps_reason(portal: Portal) -> None:
    csrf = await portal.sign_in("officer-a")
    _clinic, _initiative, plan_id = await add_plan(portal, "officer-a")
    portal.roadmap.status, portal.roadmap.body = 409, {"detail": "plan is not waiting for a gate decision"}
    await portal.http.post(
        f"/plans/{plan_id}/decision", data={"csrf_token": csrf, "action": "stop", "confirmed": "yes"}
    )
    page = await portal.http.get("/today")
    assert "Roadmap refused the decision: plan is not waiting for a gate decision" in page.text


async def test_another_officers_plan_and_initiative_are_404_and_nothing_is_sent(portal: Portal) -> None:
    clinic_id, initiative_id, plan_id = await add_plan(portal, "officer-a")
    csrf = await portal.sign_in("officer-b")
    for path, form in (
        (f"/plans/{plan_id}/decision", {"action": "continue"}),
        (f"/plans/{plan_id}/pause", {}),
        (f"/initiatives/{initiative_id}/approve", {"owner": "pm", "target_change_pct": "-30"}),
    ):
        answer = await portal.http.post(path, data={"csrf_token": csrf, **form})
        assert answer.status_code == 404, path
    assert (await portal.http.get(f"/clinics/{clinic_id}")).status_code == 404
    assert not portal.roadmap.requests


async def test_another_officers_clinic_gets_no_audit_or_partner_action(portal: Portal) -> None:
    clinic_id, _initiative, _plan = await add_plan(portal, "officer-a")
    csrf = await portal.sign_in("officer-b")
    anything = uuid4()
    for path, form in (
        (f"/clinics/{clinic_id}/audits/open", {"days": "7"}),
        (f"/clinics/{clinic_id}/audits/{anything}/close", {}),
        (f"/clinics/{clinic_id}/partners", {"name": "Acme Phones", "kind": "phone"}),
        (f"/clinics/{clinic_id}/partners/{anything}/link", {}),
        (f"/clinics/{clinic_id}/partners/{anything}/unlink", {}),
    ):
        answer = await portal.http.post(path, data={"csrf_token": csrf, **form})
        assert answer.status_code == 404, path
    assert (await portal.http.get(f"/clinics/{clinic_id}/partners")).status_code == 404
    assert not portal.audit.requests and not portal.kpi.requests


async def test_an_audit_opens_at_audit_as_the_officer_or_shows_audits_reason(portal: Portal) -> None:
    clinic_id, _initiative, _plan = await add_plan(portal, "officer-a")
    csrf = await portal.sign_in("officer-a")
    portal.audit.status, portal.audit.body = 201, {"starts_on": "2026-11-27", "ends_on": "2026-12-01"}
    answer = await portal.http.post(
        f"/clinics/{clinic_id}/audits/open", data={"csrf_token": csrf, "days": "5"}
    )
    assert answer.status_code == 303
    sent = portal.audit.requests[0]
    assert (sent.url.path, json.loads(sent.content)) == (f"/v1/clinics/{clinic_id}/audits", {"days": 5})
    officer = verify_token(portal.settings, sent.headers["authorization"].removeprefix("Bearer "))
    assert officer.id == "officer-a"
    assert (
        "Audit opened: staff log 2026-11-27 to 2026-12-01"
        in (await portal.http.get(f"/clinics/{clinic_id}")).text
    )

    portal.audit.status, portal.audit.body = 409, {"detail": "the clinic already has an open audit window"}
    await portal.http.post(f"/clinics/{clinic_id}/audits/open", data={"csrf_token": csrf})
    page = await portal.http.get(f"/clinics/{clinic_id}")
    assert "Audit refused to open it: the clinic already has an open audit window" in page.text

    bad = await portal.http.post(f"/clinics/{clinic_id}/audits/open", data={"csrf_token": csrf, "days": "0"})
    assert bad.status_code == 422
    assert (
        'class="field-error">Input should be greater than or equal to 1. a whole number of days' in bad.text
    )
    assert len(portal.audit.requests) == 2  # the bad one was not sent


async def test_a_new_partner_is_shown_once_and_kpis_field_errors_land_next_to_the_field(
    portal: Portal,
) -> None:
    clinic_id, _initiative, _plan = await add_plan(portal, "officer-a")
    csrf = await portal.sign_in("officer-a")
    blank = await portal.http.post(f"/clinics/{clinic_id}/partners", data={"csrf_token": csrf, "name": " "})
    assert blank.status_code == 422 and "name the partner as your staff know it" in blank.text
    assert not [request for request in portal.kpi.requests if request.method == "POST"]

    portal.kpi.status, portal.kpi.listing = 201, []
    portal.kpi.body = {
        "id": str(uuid4()),
        "name": "Acme Phones",
        "api_key": "key_123",
        "webhook_secret": "whsec_9",
    }
    made = await portal.http.post(
        f"/clinics/{clinic_id}/partners", data={"csrf_token": csrf, "name": "Acme Phones", "kind": "phone"}
    )
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    assert 'value="key_123"' in made.text and 'value="whsec_9"' in made.text
    posted = next(request for request in portal.kpi.requests if request.method == "POST")
    assert json.loads(posted.content) == {
        "name": "Acme Phones",
        "kind": "phone",
        "clinic_ids": [str(clinic_id)],
    }

    portal.kpi.status = 422
    portal.kpi.body = {
        "detail": [{"loc": ["body", "name"], "msg": "String should have at most 200 characters"}]
    }
    refused = await portal.http.post(
        f"/clinics/{clinic_id}/partners", data={"csrf_token": csrf, "name": "Acme", "kind": "phone"}
    )
    assert refused.status_code == 422
    assert '<p class="field-error">String should have at most 200 characters</p>' in refused.text


async def test_bad_approval_input_is_shown_next_to_each_field(portal: Portal) -> None:
    csrf = await portal.sign_in("officer-a")
    _clinic, initiative_id, _plan = await add_plan(portal, "officer-a")
    answer = await portal.http.post(
        f"/initiatives/{initiative_id}/approve",
        data={"csrf_token": csrf, "owner": "  ", "target_change_pct": "0", "pilot_group": ""},
    )
    assert answer.status_code == 422
    errors = re.findall(r'<p class="field-error">([^<]+)</p>', answer.text)
    assert any("pick who owns it" in error for error in errors)
    assert any("a target is a change" in error for error in errors)
    assert not portal.roadmap.requests


async def test_roadmaps_field_errors_land_next_to_the_fields(portal: Portal) -> None:
    csrf = await portal.sign_in("officer-a")
    _clinic, initiative_id, _plan = await add_plan(portal, "officer-a")
    portal.roadmap.status = 422
    portal.roadmap.body = {
        "detail": [{"loc": ["body", "owner"], "msg": "owner is not on the clinic's staff"}]
    }
    clinic_id = (await portal_initiative(portal, initiative_id)).clinic_id
    async with portal.sessions() as session:
        for role, name in (("dr", "Ana Rivera"), ("dr", "Ben Okafor"), ("dr", "Cy Lund")):
            await staff.add_person(
                session, clinic_id=clinic_id, officer_id="officer-a", role=role, display_name=name
            )
    answer = await portal.http.post(
        f"/initiatives/{initiative_id}/approve",
        data={
            "csrf_token": csrf,
            "owner": "dr-3",
            "target_change_pct": "-30",
            "pilot_group": ["dr-1", "dr-2"],
        },
    )
    assert answer.status_code == 422
    assert '<p class="field-error">owner is not on the clinic&#39;s staff</p>' in answer.text
    assert json.loads(portal.roadmap.requests[0].content)["pilot_group"] == ["dr-1", "dr-2"]


async def test_the_notice_address_is_checked_next_to_its_field_then_kept(portal: Portal) -> None:
    csrf = await portal.sign_in("officer-a")
    bad = await portal.http.post("/today/notice-email", data={"csrf_token": csrf, "email": "dana@"})
    assert bad.status_code == 422
    assert 'id="notice-email-error">enter an email address' in bad.text
    assert 'value="dana@"' in bad.text  # what was typed stays, to be fixed
    good = await portal.http.post(
        "/today/notice-email", data={"csrf_token": csrf, "email": "dana@clinic.org"}
    )
    assert good.status_code == 303
    page = await portal.http.get("/today")
    assert "Urgent notices will be mailed to dana@clinic.org" in page.text
    assert 'value="dana@clinic.org"' in page.text


async def test_a_refresher_is_booked_at_roadmap_for_the_officers_plan_only(portal: Portal) -> None:
    _clinic, _initiative, plan_id = await add_plan(portal, "officer-a")
    csrf = await portal.sign_in("officer-b")
    assert (
        await portal.http.post(f"/plans/{plan_id}/buy-in/refresher", data={"csrf_token": csrf})
    ).status_code == 404
    assert not portal.roadmap.requests

    csrf = await portal.sign_in("officer-a")
    portal.roadmap.status, portal.roadmap.body = 201, {"id": str(uuid4())}
    answer = await portal.http.post(f"/plans/{plan_id}/buy-in/refresher", data={"csrf_token": csrf})
    assert answer.status_code == 303 and answer.headers["location"] == "/today"
    sent = portal.roadmap.requests[0]
    body = json.loads(sent.content)
    assert sent.url.path == f"/v1/plans/{plan_id}/buy-in/trainings"
    assert (body["kind"], body["status"]) == ("retraining", "booked")
    assert "Refresher booked for" in (await portal.http.get("/today")).text


async def test_a_dismissed_item_leaves_today_and_a_forged_key_is_refused(portal: Portal) -> None:
    csrf = await portal.sign_in("officer-a")
    forged = await portal.http.post("/today/dismiss", data={"csrf_token": csrf, "key": "plan:<script>"})
    assert forged.status_code == 303
    assert "That item is not on Today any more" in (await portal.http.get("/today")).text
    async with portal.sessions() as session:
        assert (await session.exec(select(PortalDismissal))).all() == []

    kept = await portal.http.post("/today/dismiss", data={"csrf_token": csrf, "key": "alert:1234"})
    assert kept.status_code == 303
    async with portal.sessions() as session:
        rows = (await session.exec(select(PortalDismissal))).all()
    assert [(row.officer_id, row.item_key) for row in rows] == [("officer-a", "alert:1234")]


async def test_every_portal_page_is_same_origin_only_never_framed_and_never_stored(portal: Portal) -> None:
    anonymous = await portal.http.get("/sign-in")
    await portal.sign_in("officer-a")
    clinic_id, _initiative, _plan = await add_plan(portal, "officer-a")
    token = issue_link(
        portal.settings,
        purpose=LinkPurpose.TASK_LOG,
        link_id="link-1",
        subject_id="audit-1",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    portal.audit.status = 503  # the task-log page then says to try again: a page all the same
    pages = [anonymous] + [
        await portal.http.get(path)
        for path in (
            "/portfolio",
            "/today",
            f"/clinics/{clinic_id}",
            f"/clinics/{clinic_id}/partners",
            "/prospects",
            "/catalog",
            f"/t/{token}",  # a public page, its link in the address
            f"/clinics/{uuid4()}",  # a 404 page too
        )
    ]
    for page in pages:
        assert page.headers["content-type"].startswith("text/html"), page.url
        policy = page.headers["content-security-policy"]
        assert policy == PAGE_POLICY, page.url
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe" not in policy  # no inline script or style anywhere
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "same-origin"
        assert page.headers["cache-control"] == "no-store", page.url
    style = await portal.http.get("/static/portal.css")
    assert "no-store" not in style.headers.get("cache-control", "")  # files may be cached
    assert style.headers["x-content-type-options"] == "nosniff"


TEMPLATES_DIR = Path(__file__).parents[2] / "services" / "portal" / "templates"
INLINE_CODE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE
)


def test_no_template_holds_inline_script_or_style() -> None:
    """What the Content-Security-Policy would refuse: scripts and styles come from /static only."""
    found = {
        path.name: INLINE_CODE.findall(path.read_text())
        for path in TEMPLATES_DIR.glob("*.html")
        if INLINE_CODE.search(path.read_text())
    }
    assert found == {}
