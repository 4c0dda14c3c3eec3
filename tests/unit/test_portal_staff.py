"""The staff roster, the add-clinic form and the assessment form, against stand-in services: bad input
is a 422 naming the field with nothing sent; names stay in the portal and only pseudonyms leave it."""

import json
import re
from pathlib import Path
from uuid import uuid4

import httpx
import yaml

from services.portal.officer import staff
from services.portal.read_model.models import PortalClinic
from tests.unit.test_portal_pages import Portal, add_plan, portal

__all__ = ["portal"]  # the fixture, used by name

ROOT_DIR = Path(__file__).parents[2]

ROLES = {"staff": [{"role": "physician", "headcount": 0, "hourly_cost": 110.0}]}


def field_errors(html: str) -> list[str]:
    return re.findall(r'<p class="field-error">([^<]+)</p>', html)


async def test_people_are_added_renamed_and_deactivated_and_only_pseudonyms_leave(portal: Portal) -> None:
    clinic_id, initiative_id, _plan = await add_plan(portal, "officer-a")
    csrf = await portal.sign_in("officer-a")
    portal.intake.listing = ROLES
    bad = await portal.http.post(
        f"/clinics/{clinic_id}/staff", data={"csrf_token": csrf, "display_name": " ", "role": "physician"}
    )
    assert bad.status_code == 422 and any("at least 1 character" in e for e in field_errors(bad.text))
    unknown = await portal.http.post(
        f"/clinics/{clinic_id}/staff",
        data={"csrf_token": csrf, "display_name": "Ana Rivera", "role": "pilot"},
    )
    assert unknown.status_code == 422
    assert "pick one of the clinic&#39;s roles (physician)" in unknown.text

    for name in ("Ana Rivera", "Ben Okafor"):
        added = await portal.http.post(
            f"/clinics/{clinic_id}/staff",
            data={"csrf_token": csrf, "display_name": name, "role": "physician"},
        )
        assert added.status_code == 303
    # Intake's head-count follows the roster: two physicians, and no name in what was sent.
    patches = [request for request in portal.intake.requests if request.method == "PATCH"]
    assert json.loads(patches[-1].content) == {
        "staff": [{"role": "physician", "headcount": 2, "hourly_cost": 110.0}]
    }
    assert all(b"Rivera" not in request.content for request in portal.intake.requests)

    page = await portal.http.get(f"/clinics/{clinic_id}/staff")
    assert "physician-1" in page.text and 'value="Ana Rivera"' in page.text
    async with portal.sessions() as session:
        rivera, okafor = [p for p in await staff.roster(session, clinic_id)]
    renamed = await portal.http.post(
        f"/clinics/{clinic_id}/staff/{rivera.id}/rename",
        data={"csrf_token": csrf, "display_name": "Dr Ana Rivera"},
    )
    assert renamed.status_code == 303
    off = await portal.http.post(
        f"/clinics/{clinic_id}/staff/{okafor.id}/deactivate", data={"csrf_token": csrf}
    )
    assert off.status_code == 303

    clinic_page = await portal.http.get(f"/clinics/{clinic_id}")
    assert '<option value="physician-1" >Dr Ana Rivera · physician</option>' in clinic_page.text
    assert 'value="physician-2"' not in clinic_page.text  # off the roster: not offered as owner or pilot

    # Approval: picked pseudonyms go to roadmap; someone off the roster is refused by the portal.
    portal.roadmap.status, portal.roadmap.body = 200, {}
    refused = await portal.http.post(
        f"/initiatives/{initiative_id}/approve",
        data={
            "csrf_token": csrf,
            "owner": "physician-2",
            "target_change_pct": "-30",
            "pilot_group": ["physician-1"],
        },
    )
    # Nothing is sent to roadmap (the page it shows again only reads the plan's money).
    assert refused.status_code == 422
    assert all(request.method == "GET" for request in portal.roadmap.requests)
    assert any("not on its roster" in e for e in field_errors(refused.text))
    approved = await portal.http.post(
        f"/initiatives/{initiative_id}/approve",
        data={
            "csrf_token": csrf,
            "owner": "physician-1",
            "target_change_pct": "-30",
            "pilot_group": ["physician-1"],
        },
    )
    assert approved.status_code == 303
    (approval,) = [request for request in portal.roadmap.requests if request.method == "POST"]
    sent = json.loads(approval.content)
    assert sent["owner"] == "physician-1" and sent["pilot_group"] == ["physician-1"]


async def test_another_officers_roster_is_404(portal: Portal) -> None:
    clinic_id, _initiative, _plan = await add_plan(portal, "officer-a")
    csrf = await portal.sign_in("officer-b")
    assert (await portal.http.get(f"/clinics/{clinic_id}/staff")).status_code == 404
    for path in ("staff", "roles", "assessment"):
        answer = await portal.http.post(f"/clinics/{clinic_id}/{path}", data={"csrf_token": csrf})
        assert answer.status_code == 404, path
    assert not portal.intake.requests


async def test_a_person_is_found_under_their_own_clinic_only(portal: Portal) -> None:
    """The roster is keyed by (clinic, person): the officer's other clinic does not reach them."""
    clinic_id, _initiative, _plan = await add_plan(portal, "officer-a")
    other_clinic, _initiative, _plan = await add_plan(portal, "officer-a")
    async with portal.sessions() as session:
        person = await staff.add_person(
            session, clinic_id=clinic_id, officer_id="officer-a", role="physician", display_name="Ana Rivera"
        )
    csrf = await portal.sign_in("officer-a")
    for clinic, expected in ((other_clinic, 404), (clinic_id, 303)):
        renamed = await portal.http.post(
            f"/clinics/{clinic}/staff/{person.id}/rename",
            data={"csrf_token": csrf, "display_name": "Dr Ana Rivera"},
        )
        assert renamed.status_code == expected, clinic
    async with portal.sessions() as session:
        (kept,) = await staff.roster(session, clinic_id)
        assert await staff.roster(session, other_clinic) == []
    assert kept.display_name == "Dr Ana Rivera"


async def test_a_clinic_is_added_with_its_roles_and_bad_fields_are_named(portal: Portal) -> None:
    csrf = await portal.sign_in("officer-a")
    bad = await portal.http.post(
        "/new-clinic",
        data={
            "csrf_token": csrf,
            "name": "",
            "specialty": "derm",
            "locations": "0",
            "time_zone": "Mars/Base",
            "role_1": "front desk",
            "hourly_cost_1": "lots",
        },
    )
    assert bad.status_code == 422 and not portal.intake.requests
    for field in ("clinic-name", "clinic-locations", "clinic-time_zone", "hourly_cost_1"):
        assert re.search(rf'id="{field}"[^>]*>\s*<p class="field-error">', bad.text), field

    clinic_id = uuid4()
    portal.intake.status, portal.intake.body = 201, {"id": str(clinic_id), "name": "Seaside Dermatology"}
    async with portal.sessions() as session:  # as if intake's event had already arrived
        session.add(
            PortalClinic(id=clinic_id, officer_id="officer-a", name="Seaside Dermatology", specialty="d")
        )
        await session.commit()
    made = await portal.http.post(
        "/new-clinic",
        data={
            "csrf_token": csrf,
            "name": "Seaside Dermatology",
            "specialty": "dermatology",
            "locations": "2",
            "emr": "athenahealth",
            "role_1": "front desk",
            "hourly_cost_1": "24",
        },
    )
    assert made.status_code == 303 and made.headers["location"] == f"/clinics/{clinic_id}/staff"
    assert json.loads(portal.intake.requests[0].content) == {
        "name": "Seaside Dermatology",
        "specialty": "dermatology",
        "locations": 2,
        "staff": [{"role": "front desk", "headcount": 0, "hourly_cost": 24.0}],
        "systems": {"emr": "athenahealth"},
    }


async def test_the_assessment_names_each_unanswered_question_then_sends_the_answers(portal: Portal) -> None:
    clinic_id, _initiative, _plan = await add_plan(portal, "officer-a")
    csrf = await portal.sign_in("officer-a")
    questionnaire = yaml.safe_load((ROOT_DIR / "services/intake/questionnaire/v1.yaml").read_text())
    portal.intake.listing = questionnaire
    page = await portal.http.get(f"/clinics/{clinic_id}/assessment")
    assert page.status_code == 200 and page.text.count("<select") == len(questionnaire["questions"])

    first, second, *rest = questionnaire["questions"]
    partial = {first["id"]: first["options"][0]["id"] if first["type"] == "choice" else "2"}
    missing = await portal.http.post(f"/clinics/{clinic_id}/assessment", data={"csrf_token": csrf, **partial})
    assert missing.status_code == 422
    assert len(field_errors(missing.text)) == len(questionnaire["questions"]) - 1
    assert not [request for request in portal.intake.requests if request.method == "POST"]

    answers = {
        q["id"]: (q["options"][-1]["id"] if q["type"] == "choice" else "4")
        for q in questionnaire["questions"]
    }
    portal.intake.status, portal.intake.body = 201, {"level": "advanced", "overall_score": 100}
    scored = await portal.http.post(f"/clinics/{clinic_id}/assessment", data={"csrf_token": csrf, **answers})
    assert scored.status_code == 303
    sent = json.loads(next(r for r in portal.intake.requests if r.method == "POST").content)
    assert sent["questionnaire_version"] == "v1" and sent["answers"][second["id"]] in (
        4,
        second.get("options", [{}])[-1].get("id"),
    )
    assert len(sent["answers"]) == len(rest) + 2


async def test_the_staff_link_lists_the_roster_by_pseudonym_and_the_page_by_name(portal: Portal) -> None:
    clinic_id, _initiative, _plan = await add_plan(portal, "officer-a")
    csrf = await portal.sign_in("officer-a")
    async with portal.sessions() as session:
        await staff.add_person(
            session,
            clinic_id=clinic_id,
            officer_id="officer-a",
            role="front desk",
            display_name="Maria Lopez",
        )
    audit_id = uuid4()
    roster = [{"staff_id": "front-desk-1", "role": "front desk"}]
    portal.audit.status, portal.audit.body = 201, {"url": "http://portal.test/log/t", "roster": roster}
    window = {"starts_on": "2026-12-07", "ends_on": "2026-12-11", "entries": 0}
    portal.audit.listing = [{"id": str(audit_id), "status": "open", **window}]
    made = await portal.http.post(
        f"/clinics/{clinic_id}/audits/{audit_id}/task-log-links", data={"csrf_token": csrf}
    )
    assert made.status_code == 201
    assert json.loads(portal.audit.requests[0].content) == {"roster": roster}
    assert "Maria Lopez is <code>front-desk-1</code>" in made.text


async def test_buy_in_forms_name_bad_fields_and_send_pseudonyms(portal: Portal) -> None:
    clinic_id, _initiative, plan_id = await add_plan(portal, "officer-a")
    csrf = await portal.sign_in("officer-a")
    async with portal.sessions() as session:
        await staff.add_person(
            session,
            clinic_id=clinic_id,
            officer_id="officer-a",
            role="front desk",
            display_name="Maria Lopez",
        )
    portal.roadmap.listing = {
        "plan_id": plan_id,
        "phase": "preparation",
        "communications": [
            {
                "id": str(uuid4()),
                "kind": "why_we_change",
                "audiences": ["all_staff"],
                "sent_at": "2026-12-01T15:00:00Z",
                "recorded_by": "officer-a",
            }
        ],
        "trainings": [],
        "staff_trained": 0,
        "waiver": None,
        "preparation_ready": False,
        "preparation_missing": ["a communication to staff"],
        "surveys": [],
    }
    page = await portal.http.get(f"/plans/{plan_id}/buy-in")
    assert page.status_code == 200 and "Maria Lopez" in page.text
    assert "why we change to all staff (Dec 01)" in page.text

    nobody = await portal.http.post(
        f"/plans/{plan_id}/buy-in/communications", data={"csrf_token": csrf, "kind": "why_we_change"}
    )
    assert nobody.status_code == 422
    assert any("at least 1 item" in e for e in field_errors(nobody.text))
    short = await portal.http.post(
        f"/plans/{plan_id}/buy-in/waiver", data={"csrf_token": csrf, "reason": "no"}
    )
    assert short.status_code == 422 and any("at least 10 characters" in e for e in field_errors(short.text))
    days = await portal.http.post(
        f"/plans/{plan_id}/buy-in/surveys", data={"csrf_token": csrf, "stage": "gate", "open_days": "90"}
    )
    assert days.status_code == 422 and any("less than or equal to 60" in e for e in field_errors(days.text))
    assert not [request for request in portal.roadmap.requests if request.method == "POST"]

    portal.roadmap.status, portal.roadmap.body = 201, {"id": str(uuid4())}
    trained = await portal.http.post(
        f"/plans/{plan_id}/buy-in/trainings", data={"csrf_token": csrf, "attendees": ["front-desk-1"]}
    )
    assert trained.status_code == 303
    posted = next(request for request in portal.roadmap.requests if request.method == "POST")
    assert json.loads(posted.content) == {"status": "held", "attendees": ["front-desk-1"]}

    another = await portal.sign_in("officer-b")
    assert (await portal.http.get(f"/plans/{plan_id}/buy-in")).status_code == 404
    refused = await portal.http.post(
        f"/plans/{plan_id}/buy-in/waiver", data={"csrf_token": another, "reason": "x" * 20}
    )
    assert refused.status_code == 404


async def test_the_close_out_names_the_owner_from_the_roster(portal: Portal) -> None:
    clinic_id, _initiative, plan_id = await add_plan(portal, "officer-a")
    await portal.sign_in("officer-a")
    async with portal.sessions() as session:
        await staff.add_person(
            session,
            clinic_id=clinic_id,
            officer_id="officer-a",
            role="physician",
            display_name="Dr Ana Rivera",
        )
    page = "<!doctype html><title>Close-out</title><p>Harbor · AI scribe · owner physician-1 · 2026</p>"
    assert portal.app is not None
    portal.app.state.service_http["roadmap"] = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda _request: httpx.Response(200, text=page)),
        base_url="http://roadmap",
    )
    shown = await portal.http.get(f"/plans/{plan_id}/close-out")
    assert "owner Dr Ana Rivera ·" in shown.text and "physician-1" not in shown.text
