"""The public forms through the portal, on real Kafka and Temporal: pages, refusals, rate limits,
the officer's pages, and nothing typed reaching an event or a span."""

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from services.intake.prospects import service as prospects
from services.portal.routes import public_forms
from shared import topics
from shared.outbox import OutboxMessage
from tests.forms_support import FormsStack, aged_stamp, forms_stack, signed_in_portal
from tests.kafka_io import read_all
from tests.polling import eventually
from tests.services import service_of

pytestmark = pytest.mark.integration

PRACTICE, PERSON, EMAIL, PHONE = (
    "Birchwood Family Practice",
    "Robin Example",
    "robin@birchwood.example",
    "555 0199",
)


@pytest.fixture(scope="module")
async def stack(
    kafka: str, temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FormsStack]:
    async with forms_stack(kafka, temporal, tmp_path_factory.mktemp("forms")) as running:
        yield running


def portal(stack: FormsStack) -> httpx.AsyncClient:
    return stack.platform["portal"].http


def every_answer() -> dict[str, str]:
    answers = {}
    for question in prospects.short_form().questions:
        if question.type == "scale":
            answers[f"q_{question.id}"] = "2"
        else:
            answers[f"q_{question.id}"] = question.options[1].id
    return answers


async def test_a_prospect_fills_the_form_through_the_portal_and_sees_the_result(stack: FormsStack) -> None:
    await public_forms.PROSPECT_SUBMISSIONS.reset()
    officer = await stack.officer()
    link = await stack.prospect_invite(officer, label="open day")
    page = await portal(stack).get(f"/p/{link['token']}")
    assert page.status_code == 200, page.text
    assert "0</span> of 12 answered" in page.text and 'name="website"' in page.text

    partial = {**every_answer(), "form_stamp": aged_stamp(link["id"])}
    del partial["q_comp_baa"]
    missing = await portal(stack).post(f"/p/{link['token']}", data=partial)
    assert missing.status_code == 422
    assert "Please answer this one." in missing.text and "11</span> of 12 answered" in missing.text

    form = {
        **every_answer(),
        "form_stamp": aged_stamp(link["id"]),
        "practice_name": PRACTICE,
        "contact_name": PERSON,
        "email": EMAIL,
        "phone": PHONE,
    }
    no_consent = await portal(stack).post(f"/p/{link['token']}", data=form)
    assert no_consent.status_code == 422 and "Tick the box" in no_consent.text

    result = await portal(stack).post(f"/p/{link['token']}", data={**form, "consent": "yes"})
    assert result.status_code == 201, result.text
    assert "Your next three steps" in result.text
    assert len(re.findall(r"<li data-dimension=", result.text)) == 7
    assert "Your officer has your details" in result.text


async def test_expired_forged_and_revoked_links_get_a_page_that_says_what_to_do(stack: FormsStack) -> None:
    officer = await stack.officer()
    link = await stack.prospect_invite(officer)
    forged = await portal(stack).get(f"/p/{link['token'][:-3]}xyz")
    assert forged.status_code == 404 and "Ask the officer who sent it" in forged.text
    task_link_as_prospect = await portal(stack).get(f"/t/{link['token']}")
    assert task_link_as_prospect.status_code == 404

    revoked = await stack.platform["intake"].http.post(
        f"/v1/prospect-invites/{link['id']}/revoke", headers=stack.auth(officer)
    )
    assert revoked.status_code == 200
    page = await portal(stack).get(f"/p/{link['token']}")
    assert page.status_code == 410 and "withdrawn" in page.text and "Ask the officer" in page.text


async def test_the_portal_limits_each_client_and_says_when_to_try_again(stack: FormsStack) -> None:
    await public_forms.PROSPECT_SUBMISSIONS.reset()
    officer = await stack.officer()
    link = await stack.prospect_invite(officer)
    statuses = []
    for _ in range(11):
        answer = await portal(stack).post(f"/p/{link['token']}", data={"website": "bot", "form_stamp": ""})
        statuses.append(answer.status_code)
    assert statuses[:10] == [422] * 10  # refused by intake's bot check, but counted here
    assert statuses[10] == 429
    assert 1 <= int(answer.headers["Retry-After"]) <= 60 and "Too many tries" in answer.text
    await public_forms.PROSPECT_SUBMISSIONS.reset()


async def test_a_new_x_forwarded_for_on_each_request_is_still_one_client(stack: FormsStack) -> None:
    await public_forms.PROSPECT_SUBMISSIONS.reset()
    officer = await stack.officer()
    link = await stack.prospect_invite(officer)
    statuses = []
    for n in range(11):
        forged = {"X-Forwarded-For": f"198.51.100.{n}"}
        answer = await portal(stack).post(
            f"/p/{link['token']}", data={"website": "bot", "form_stamp": ""}, headers=forged
        )
        statuses.append(answer.status_code)
    assert statuses == [422] * 10 + [429]
    await public_forms.PROSPECT_SUBMISSIONS.reset()

    # Straight at intake's public endpoint: the same, at the services' per-client budget (from
    # zero: the portal's calls above were this same client's, 127.0.0.1, too).
    intake = stack.platform["intake"]
    await intake.app.state.public_limit.reset()
    budget = intake.app.state.public_limit.item.amount
    headers = {"X-Faio-Link": link["token"]}
    try:
        for n in range(budget + 1):
            headers["X-Forwarded-For"] = f"203.0.113.{n % 250}"
            answer = await intake.http.get("/v1/public/prospect-form", headers=headers)
            assert answer.status_code == (429 if n == budget else 200), (n, answer.text)
    finally:
        await intake.app.state.public_limit.reset()  # the other tests' pages ask intake too


async def test_staff_log_through_the_portal_and_the_officer_sees_who_has_not(stack: FormsStack) -> None:
    await public_forms.TASK_LOG_SUBMISSIONS.reset()
    officer = await stack.officer()
    clinic_id, audit_id = await stack.clinic_in_audit_week(officer)
    link = await stack.task_log_link(officer, audit_id)
    page = await portal(stack).get(f"/t/{link['token']}")
    assert page.status_code == 200, page.text
    assert "front-desk-1" in page.text and "physician-1" in page.text
    stamp = re.search(r'name="form_stamp" value="([^"]+)"', page.text)
    assert stamp is not None

    refused = await portal(stack).post(
        f"/t/{link['token']}", data={"staff_id": "front-desk-2", "form_stamp": stamp.group(1)}
    )
    assert refused.status_code == 422 and "choose one" in refused.text

    task = {
        "staff_id": "front-desk-2",
        "category": "insurance_verification",
        "minutes": "6",
        "occurrences": "9",
        "predictability": "mostly_same",
        "tools": ["phone", "EMR"],
        "form_stamp": aged_stamp(link["id"], seconds=5),
    }
    logged = await portal(stack).post(f"/t/{link['token']}", data=task)
    assert logged.status_code == 303 and logged.headers["location"] == f"/t/{link['token']}"
    assert "faio_task_log_staff=front-desk-2" in logged.headers["set-cookie"]

    status = (
        await stack.platform["audit"].http.get(
            f"/v1/audits/{audit_id}/logging-status", headers=stack.auth(officer)
        )
    ).json()
    assert status["days"][-1]["not_logged"] == ["front-desk-1", "physician-1"]

    # The officer's page, through a signed-in portal session.
    async with signed_in_portal(stack, officer) as officer_portal:
        officer_page = await officer_portal.get(f"/clinics/{clinic_id}/audit-logging")
    assert officer_page.status_code == 200, officer_page.text
    assert "front-desk-1, physician-1" in officer_page.text and "1 of 3" in officer_page.text


async def test_what_prospects_and_staff_type_reaches_no_event_and_no_span(stack: FormsStack) -> None:
    await public_forms.PROSPECT_SUBMISSIONS.reset()
    officer = await stack.officer()
    link = await stack.prospect_invite(officer)
    form = {
        **every_answer(),
        "form_stamp": aged_stamp(link["id"]),
        "practice_name": PRACTICE,
        "contact_name": PERSON,
        "email": EMAIL,
        "phone": PHONE,
        "consent": "yes",
    }
    assert (await portal(stack).post(f"/p/{link['token']}", data=form)).status_code == 201
    leads = (await stack.platform["intake"].http.get("/v1/prospects", headers=stack.auth(officer))).json()
    converted = await stack.platform["intake"].http.post(
        f"/v1/prospects/{leads[0]['id']}/convert", json={"name": "Clinic 42"}, headers=stack.auth(officer)
    )
    assert converted.status_code == 201

    typed = [PRACTICE, PERSON, EMAIL, PHONE, link["token"]]
    spans = stack.spans.get_finished_spans()
    assert {service_of(span) for span in spans} >= {"intake", "portal"}
    for span in spans:
        text = json.dumps(
            {
                "name": span.name,
                "attributes": dict(span.attributes or {}),
                "events": [dict(e.attributes or {}) for e in span.events],
            },
            default=str,
        )
        leaked = [value for value in typed if value in text]
        assert not leaked, (service_of(span), span.name, leaked)

    for name in ("intake", "audit"):
        async with stack.platform[name].runtime.sessions() as session:
            rows: Any = (await session.exec(select(OutboxMessage))).all()
        for row in rows:
            assert not [value for value in typed if value.encode() in row.payload], row.topic

    async def published() -> list[Any] | None:
        records = await read_all(stack.kafka, topics.CLINIC_REGISTERED.name)
        return [r for r in records if r.value and b"Clinic 42" in r.value] or None

    records = await eventually(published, within=30, what="the converted clinic's event on Kafka")
    for record in await read_all(stack.kafka, topics.CLINIC_REGISTERED.name):
        assert not [value for value in typed if record.value and value.encode() in record.value]
    assert records


async def test_the_officer_invites_sees_leads_converts_and_revokes_in_the_portal(stack: FormsStack) -> None:
    await public_forms.PROSPECT_SUBMISSIONS.reset()
    officer = await stack.officer()
    async with signed_in_portal(stack, officer) as officer_portal:
        page = await officer_portal.get("/prospects")
        assert page.status_code == 200 and "No leads yet" in page.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None

        made = await officer_portal.post(
            "/prospects/invites",
            data={"csrf_token": csrf.group(1), "label": "spring fair", "expires_in_days": "7"},
        )
        assert made.status_code == 201, made.text
        url = re.search(r'value="(http[^"]+/p/([^"]+))"', made.text)
        assert url is not None
        token = url.group(2)

        form = {**every_answer(), "form_stamp": "", "practice_name": PRACTICE, "consent": "yes"}
        invite_id = (
            await stack.platform["intake"].http.get("/v1/prospect-invites", headers=stack.auth(officer))
        ).json()[0]["id"]
        form["form_stamp"] = aged_stamp(invite_id)
        assert (await portal(stack).post(f"/p/{token}", data=form)).status_code == 201

        leads = await officer_portal.get("/prospects")
        assert PRACTICE in leads.text and "spring fair" in leads.text
        lead_id = re.search(r'data-lead="([^"]+)"', leads.text)
        assert lead_id is not None
        converted = await officer_portal.post(
            f"/prospects/{lead_id.group(1)}/convert",
            data={"csrf_token": csrf.group(1), "name": PRACTICE, "specialty": "family medicine"},
        )
        assert converted.status_code == 303
        after = await officer_portal.get("/prospects")
        assert f"{PRACTICE} is now a clinic" in after.text and "No leads yet" in after.text

        revoked = await officer_portal.post(
            f"/prospects/invites/{invite_id}/revoke", data={"csrf_token": csrf.group(1)}
        )
        assert revoked.status_code == 303
        assert (await portal(stack).get(f"/p/{token}")).status_code == 410
        no_csrf = await officer_portal.post(f"/prospects/invites/{invite_id}/revoke", data={})
        assert no_csrf.status_code == 403
