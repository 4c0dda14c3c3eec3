"""Staff log their own audit week through a link: roster, the phone form's API, who has not logged."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.audit.models import AuditClinic
from services.audit.task_log.service import default_roster
from shared.events import StaffRole
from shared.public_links import LINK_HEADER, LinkPurpose, issue_form_stamp, issue_link
from tests.unit.test_audit_api import AuditApp, audit_app

TODAY = datetime.now(UTC).date()


async def opened(audit: AuditApp, officer: str = "officer-a") -> tuple[dict[str, Any], dict[str, str]]:
    clinic_id = await audit.clinic(officer)
    return await audit.open_audit(officer, clinic_id), audit.auth(officer)


async def make_link(audit: AuditApp, audit_id: str, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await audit.http.post(f"/v1/audits/{audit_id}/task-log-links", json=body or None, headers=auth)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def log(audit: AuditApp, link: dict[str, Any], *, seconds_ago: float = 10, **task: Any) -> Any:
    stamp = issue_form_stamp(
        audit.settings, link_id=link["id"], now=datetime.now(UTC) - timedelta(seconds=seconds_ago)
    )
    body = {
        "staff_id": "front-desk-1",
        "category": "appointment_scheduling",
        "minutes": 3,
        "occurrences": 12,
        "predictability": "always_same",
        "tools": ["phone"],
        "form_stamp": stamp,
        **task,
    }
    return await audit.http.post("/v1/public/task-log", json=body, headers={LINK_HEADER: link["token"]})


def test_the_default_roster_is_one_pseudonym_per_head_count() -> None:
    clinic = AuditClinic(
        id=uuid.uuid4(),
        officer_id="o",
        name="c",
        staff=[
            {"role": "Front Desk", "headcount": 2},
            {"role": "MA / nurse", "headcount": 1},
            {"role": "x", "headcount": 0},
        ],
    )
    assert [(m.staff_id, m.role) for m in default_roster(clinic)] == [
        ("front-desk-1", "Front Desk"),
        ("front-desk-2", "Front Desk"),
        ("ma-nurse-1", "MA / nurse"),
    ]


async def test_a_staff_member_picks_their_pseudonym_and_logs_a_task(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        window, auth = await opened(audit)
        link = await make_link(audit, window["id"], auth)
        assert link["url"].endswith(f"/t/{link['token']}")
        assert [m["staff_id"] for m in link["roster"]] == ["front-desk-1", "front-desk-2", "physician-1"]

        form = await audit.http.get("/v1/public/task-log", headers={LINK_HEADER: link["token"]})
        assert form.status_code == 200, form.text
        assert form.json()["clinic_name"] == "Test Clinic" and form.json()["today"] == TODAY.isoformat()
        assert len(form.json()["categories"]) == 10

        logged = await log(audit, link)
        assert logged.status_code == 201, logged.text
        assert logged.json() == {
            "staff_id": "front-desk-1",
            "day": TODAY.isoformat(),
            "category": "appointment_scheduling",
            "tasks_logged_that_day": 1,
        }
        entries = (await audit.http.get(f"/v1/audits/{window['id']}/entries", headers=auth)).json()
        assert [(e["staff_id"], e["role"], e["source"], e["description"]) for e in entries] == [
            ("front-desk-1", "front desk", "link", "Appointment scheduling")
        ]


async def test_the_officer_sees_per_day_who_has_not_logged_yet(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        window, auth = await opened(audit)
        link = await make_link(audit, window["id"], auth)
        await log(audit, link, staff_id="physician-1", category="documentation")
        # The CSV/API path counts too.
        await audit.http.post(
            f"/v1/audits/{window['id']}/entries",
            json={
                "staff_id": "front-desk-2",
                "role": "front desk",
                "day": TODAY.isoformat(),
                "category": "billing",
                "description": "claims",
                "minutes": 5,
                "predictability": "varies",
            },
            headers=auth,
        )
        status = (await audit.http.get(f"/v1/audits/{window['id']}/logging-status", headers=auth)).json()
        assert status["days"] == [
            {
                "day": TODAY.isoformat(),
                "logged": ["front-desk-2", "physician-1"],
                "not_logged": ["front-desk-1"],
            }
        ]
        other = await audit.http.get(
            f"/v1/audits/{window['id']}/logging-status", headers=audit.auth("officer-b")
        )
        assert other.status_code == 404


async def test_a_pseudonym_not_on_the_roster_or_a_day_outside_the_window_is_refused(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        window, auth = await opened(audit)
        link = await make_link(audit, window["id"], auth, roster=[{"staff_id": "ma-7", "role": "Front Desk"}])
        assert link["roster"] == [{"staff_id": "ma-7", "role": "front desk"}]
        stranger = await log(audit, link, staff_id="fd-9")
        assert stranger.status_code == 422 and "pick your pseudonym" in stranger.text
        early = await log(audit, link, staff_id="ma-7", day=(TODAY - timedelta(days=30)).isoformat())
        assert early.status_code == 422 and "outside the audit window" in early.text
        name = await log(audit, link, staff_id="Maria Lopez")
        assert name.status_code == 422 and "staff_id" in name.text


@pytest.mark.parametrize(
    ("roster", "problem"),
    [
        ([{"staff_id": "Jane Doe", "role": "front desk"}], "staff_id"),
        ([{"staff_id": "ma-1", "role": "surgeon"}], "not a role of this clinic"),
        ([{"staff_id": "ma-1", "role": "front desk"}, {"staff_id": "MA-1", "role": "physician"}], "twice"),
    ],
)
async def test_a_bad_roster_is_refused_naming_the_problem(
    tmp_path: Path, roster: list[dict[str, str]], problem: str
) -> None:
    async with audit_app(tmp_path) as audit:
        window, auth = await opened(audit)
        response = await audit.http.post(
            f"/v1/audits/{window['id']}/task-log-links", json={"roster": roster}, headers=auth
        )
        assert response.status_code == 422 and problem in response.text


async def test_expired_revoked_and_forged_links_are_refused(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        window, auth = await opened(audit)
        link = await make_link(audit, window["id"], auth)
        expired = issue_link(
            audit.settings,
            purpose=LinkPurpose.TASK_LOG,
            link_id=link["id"],
            subject_id=window["id"],
            expires_at=datetime.now(UTC) - timedelta(seconds=1),
        )
        prospect = issue_link(
            audit.settings,
            purpose=LinkPurpose.PROSPECT,
            link_id=link["id"],
            subject_id=window["id"],
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
        other_audit = issue_link(
            audit.settings,
            purpose=LinkPurpose.TASK_LOG,
            link_id=link["id"],
            subject_id=str(uuid.uuid4()),
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
        revoked = await audit.http.post(f"/v1/task-log-links/{link['id']}/revoke", headers=auth)
        assert revoked.status_code == 200
        for token, words in (
            (expired, "expired"),
            (prospect, "not one faio made"),
            (other_audit, "not one faio made"),
            (link["token"] + "x", "not one faio made"),
            (link["token"], "withdrawn"),
        ):
            answer = await audit.http.get("/v1/public/task-log", headers={LINK_HEADER: token})
            assert answer.status_code == 422, answer.text
            assert words in answer.json()["detail"] and "ask the officer" in answer.json()["detail"]
        assert (await log(audit, link)).status_code == 422


async def test_bots_are_refused_by_the_honeypot_and_the_fill_time(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        window, auth = await opened(audit)
        link = await make_link(audit, window["id"], auth)
        honeypot = await log(audit, link, website="spam")
        assert honeypot.status_code == 422 and "'website'" in honeypot.text
        instant = await log(audit, link, seconds_ago=0)
        assert instant.status_code == 422 and "faster than a person" in instant.text


async def test_a_closed_audit_makes_no_link(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        clinic_id = await audit.clinic(
            "officer-a", staff=[StaffRole(role="ma", headcount=1, hourly_cost=20.0)]
        )
        window = await audit.open_audit("officer-a", clinic_id)
        await audit.complete(window["id"])
        response = await audit.http.post(
            f"/v1/audits/{window['id']}/task-log-links", headers=audit.auth("officer-a")
        )
        assert response.status_code == 409


async def test_tasks_logged_through_the_link_count_in_the_findings_coverage(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        window, auth = await opened(audit)
        link = await make_link(audit, window["id"], auth)
        for staff_id, category in (
            ("front-desk-1", "appointment_scheduling"),
            ("physician-1", "documentation"),
        ):
            assert (await log(audit, link, staff_id=staff_id, category=category)).status_code == 201
        await audit.complete(window["id"])
        findings = (await audit.http.get(f"/v1/audits/{window['id']}/findings", headers=auth)).json()
        coverage = findings["findings"]["coverage"]
        assert coverage["missing"] == ["front desk: 1 of 2"] and coverage["low_confidence"] is False
