"""The audit HTTP API in process, without infrastructure: a SQLite file and a fake Temporal client.

Covers officer isolation (401/404), one open window per clinic (409), entries and the
findings once the window's activity ran. The real timer is in tests/integration.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from sqlmodel import col, select
from temporalio.client import Client

from services.audit import service
from services.audit.app import create_app
from services.audit.models import AuditClinic
from services.audit.settings import AuditSettings
from services.audit.windows import CLOSED_EARLY, AuditWindowParams
from shared import db
from shared.auth import issue_token
from shared.calendar import UTC_CALENDAR, WEEKDAYS, ClinicCalendar
from shared.events import ClinicRegistered, StaffRole
from shared.events.audit import AuditCompleted, AuditOpened
from shared.events.intake import ClinicArchived, ClinicUpdated
from shared.outbox import OutboxMessage

# Windows began two days ago (entries are for days already lived) and are never over when the
# suite runs, so the dates below stay valid whenever it runs.
START = datetime.now(UTC).date() - timedelta(days=2)
END, CLOSES, LATER = START + timedelta(days=6), START + timedelta(days=7), START + timedelta(days=14)

STAFF = [
    StaffRole(role="front desk", headcount=2, hourly_cost=25.0),
    StaffRole(role="physician", headcount=1, hourly_cost=120.0),
]


@dataclass
class FakeHandle:
    temporal: "FakeTemporal"
    workflow_id: str

    async def signal(self, signal: Any, *args: Any) -> None:
        self.temporal.signals.append((self.workflow_id, signal.__name__))


@dataclass
class FakeTemporal:
    """Records what the API asks of Temporal; the real thing is exercised in tests/integration."""

    started: list[tuple[str, AuditWindowParams, str]] = field(default_factory=list)
    signals: list[tuple[str, str]] = field(default_factory=list)

    async def start_workflow(
        self, _run: Any, params: AuditWindowParams, *, id: str, task_queue: str, **_: Any
    ) -> None:
        self.started.append((id, params, task_queue))

    def get_workflow_handle_for(self, _run: Any, workflow_id: str) -> FakeHandle:
        return FakeHandle(self, workflow_id)


@dataclass
class AuditApp:
    app: FastAPI
    http: httpx.AsyncClient
    settings: AuditSettings
    temporal: FakeTemporal

    @property
    def sessions(self) -> db.SessionFactory:
        return cast(db.SessionFactory, self.app.state.runtime.sessions)

    def auth(self, officer_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(self.settings, officer_id=officer_id)}"}

    async def clinic(
        self, officer_id: str, staff: list[StaffRole] = STAFF, calendar: ClinicCalendar = UTC_CALENDAR
    ) -> uuid.UUID:
        """A clinic as audit learns it from intake's event."""
        clinic_id = uuid.uuid4()
        event = ClinicRegistered(
            clinic_id=clinic_id,
            officer_id=officer_id,
            name="Test Clinic",
            specialty="family",
            locations=1,
            staff=staff,
            calendar=calendar,
        )
        async with self.sessions() as session:
            await service.record_clinic(session=session, event=event)
            await session.commit()
        return clinic_id

    async def open_audit(self, officer_id: str, clinic_id: uuid.UUID, **body: Any) -> dict[str, Any]:
        response = await self.http.post(
            f"/v1/clinics/{clinic_id}/audits", json=body or None, headers=self.auth(officer_id)
        )
        assert response.status_code == 201, response.text
        return cast(dict[str, Any], response.json())

    async def complete(self, audit_id: str, closed_at: datetime | None = None) -> None:
        """What the window's workflow activity does at the end (by default: now, an early close)."""
        async with self.sessions() as session:
            await service.complete_audit(
                session=session,
                audit_id=uuid.UUID(audit_id),
                reason=CLOSED_EARLY,
                closed_at=closed_at or datetime.now(UTC),
            )
            await session.commit()


@asynccontextmanager
async def audit_app(tmp_path: Path) -> AsyncIterator[AuditApp]:
    settings = AuditSettings(environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}")
    app = create_app(settings, TracerProvider())
    await db.migrate(settings.resolved_database_url, Path(service.__file__).parent / "migrations")
    temporal = FakeTemporal()
    app.state.temporal.use(cast(Client, temporal))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://audit") as http:
        yield AuditApp(app=app, http=http, settings=settings, temporal=temporal)
    await app.state.runtime.engine.dispose()


def entry(day: date, **overrides: Any) -> dict[str, Any]:
    return {
        "staff_id": "fd-1",
        "role": "front desk",
        "day": day.isoformat(),
        "category": "appointment_scheduling",
        "description": "confirm appointments by phone",
        "minutes": 4,
        "occurrences": 30,
        "predictability": "always_same",
        "tools": ["phone"],
    } | overrides


async def test_officer_endpoints_need_a_valid_token(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        clinic_id = await audit.clinic("officer-a")
        for method, path in (
            ("POST", f"/v1/clinics/{clinic_id}/audits"),
            ("GET", f"/v1/clinics/{clinic_id}/audits"),
            ("GET", f"/v1/audits/{uuid.uuid4()}"),
            ("POST", f"/v1/audits/{uuid.uuid4()}/entries:import"),
            ("GET", f"/v1/audits/{uuid.uuid4()}/findings"),
        ):
            missing = await audit.http.request(method, path)
            assert missing.status_code == 401, (path, missing.text)
            assert "faio officer create" in missing.json()["detail"]
            forged = await audit.http.request(method, path, headers={"Authorization": "Bearer not-a-token"})
            assert forged.status_code == 401, (path, forged.text)


async def test_another_officers_clinic_and_audit_are_not_found(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        clinic_id = await audit.clinic("officer-a")
        opened = await audit.open_audit("officer-a", clinic_id)
        audit_id = opened["id"]
        intruder = audit.auth("officer-b")

        assert (await audit.http.post(f"/v1/clinics/{clinic_id}/audits", headers=intruder)).status_code == 404
        assert (await audit.http.get(f"/v1/clinics/{clinic_id}/audits", headers=intruder)).status_code == 404
        for method, path in (
            ("GET", f"/v1/audits/{audit_id}"),
            ("POST", f"/v1/audits/{audit_id}/close"),
            ("GET", f"/v1/audits/{audit_id}/entries"),
            ("GET", f"/v1/audits/{audit_id}/entries:template"),
            ("GET", f"/v1/audits/{audit_id}/findings"),
        ):
            response = await audit.http.request(method, path, headers=intruder)
            assert response.status_code == 404, (path, response.text)
        sneaked = await audit.http.post(
            f"/v1/audits/{audit_id}/entries",
            json=entry(date.fromisoformat(opened["starts_on"])),
            headers=intruder,
        )
        assert sneaked.status_code == 404
        assert audit.temporal.signals == []
        # The owner still sees an untouched audit.
        own = await audit.http.get(f"/v1/audits/{audit_id}", headers=audit.auth("officer-a"))
        assert own.json()["entries"] == 0


async def test_a_window_is_seven_days_with_one_open_per_clinic(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        clinic_id = await audit.clinic("officer-a")
        opened = await audit.open_audit("officer-a", clinic_id, starts_on=START.isoformat())

        assert (opened["starts_on"], opened["ends_on"], opened["days"]) == (
            START.isoformat(),
            END.isoformat(),
            7,
        )
        assert opened["closes_at"].startswith(f"{CLOSES}T00:00:00")
        assert opened["status"] == "open"
        ((workflow_id, params, task_queue),) = audit.temporal.started
        assert workflow_id == f"audit-window-{opened['id']}"
        assert params.closes_at == f"{CLOSES}T00:00:00+00:00"
        assert task_queue == audit.settings.temporal_task_queue

        second = await audit.http.post(
            f"/v1/clinics/{clinic_id}/audits",
            json={"starts_on": LATER.isoformat()},
            headers=audit.auth("officer-a"),
        )
        assert second.status_code == 409
        assert f"already has an open audit window {opened['id']}" in second.json()["detail"]

        over = await audit.http.post(
            f"/v1/clinics/{clinic_id}/audits",
            json={"starts_on": "2020-01-06"},
            headers=audit.auth("officer-a"),
        )
        assert over.status_code == 422
        assert "from 2020-01-06 to 2020-01-12 is already over" in over.json()["detail"]

        # Another clinic of the same officer is independent; today is the default start.
        other = await audit.open_audit("officer-a", await audit.clinic("officer-a"), days=10)
        today = datetime.now(UTC).date()
        assert (other["starts_on"], other["ends_on"]) == (
            today.isoformat(),
            (today + timedelta(days=9)).isoformat(),
        )

        # Once closed, a new window may open.
        await audit.complete(opened["id"])
        third = await audit.open_audit("officer-a", clinic_id, starts_on=LATER.isoformat())
        listed = await audit.http.get(f"/v1/clinics/{clinic_id}/audits", headers=audit.auth("officer-a"))
        assert [item["id"] for item in listed.json()] == [third["id"], opened["id"]]


async def test_entries_single_and_batch_are_checked_against_the_clinic_and_window(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        clinic_id = await audit.clinic("officer-a")
        opened = await audit.open_audit("officer-a", clinic_id, starts_on=START.isoformat())
        day = START
        url, auth = f"/v1/audits/{opened['id']}/entries", audit.auth("officer-a")

        single = await audit.http.post(url, json=entry(day, role="Front Desk"), headers=auth)
        assert single.status_code == 201, single.text
        assert single.json()["created"] == 1
        batch = [
            entry(day + timedelta(days=n), staff_id="dr-1", role="physician", category="documentation")
            for n in range(3)
        ]
        assert (await audit.http.post(url, json=batch, headers=auth)).json()["created"] == 3

        bad = [entry(day), entry(day, role="janitor"), entry(day - timedelta(days=1)), entry(day, minutes=-3)]
        rejected = await audit.http.post(url, json=bad, headers=auth)
        assert rejected.status_code == 422
        # minutes=-3 fails schema validation, reported in FastAPI's shape with its position.
        assert [item["loc"] for item in rejected.json()["detail"]] == [["body", "entries", 3, "minutes"]]
        del bad[3]
        rejected = await audit.http.post(url, json=bad, headers=auth)
        assert rejected.status_code == 422
        locs = [(item["loc"], item["msg"]) for item in rejected.json()["detail"]]
        assert (
            locs[0][0] == ["body", "entries", 1, "role"]
            and "'janitor' is not a role of this clinic" in locs[0][1]
        )
        assert locs[1][0] == ["body", "entries", 2, "day"] and "outside the audit window" in locs[1][1]
        tomorrow_but_one = datetime.now(UTC).date() + timedelta(days=2)  # in the window, not yet lived
        future = await audit.http.post(url, json=[entry(tomorrow_but_one)], headers=auth)
        assert future.status_code == 422
        assert "has not happened yet" in future.json()["detail"][0]["msg"]

        stored = (await audit.http.get(url, headers=auth)).json()
        assert len(stored) == 4  # the rejected batch stored nothing
        assert stored[0]["role"] == "front desk"  # spelled as in the clinic profile


async def test_closing_early_signals_the_window_and_findings_follow(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        # Open every day, so the window closed today covered START to today: 3 of its 7 open days.
        clinic_id = await audit.clinic("officer-a", calendar=ClinicCalendar(open_days=WEEKDAYS))
        opened = await audit.open_audit("officer-a", clinic_id, starts_on=START.isoformat())
        audit_id, auth = opened["id"], audit.auth("officer-a")
        day = START
        await audit.http.post(
            f"/v1/audits/{audit_id}/entries",
            json=[
                entry(day),
                entry(
                    day,
                    staff_id="dr-1",
                    role="physician",
                    category="documentation",
                    minutes=20,
                    occurrences=3,
                    predictability="mostly_same",
                ),
            ],
            headers=auth,
        )

        still_open = await audit.http.get(f"/v1/audits/{audit_id}/findings", headers=auth)
        assert still_open.status_code == 409
        assert f"still open until {CLOSES} 00:00 UTC" in still_open.json()["detail"]

        close = await audit.http.post(f"/v1/audits/{audit_id}/close", headers=auth)
        assert close.status_code == 202
        assert audit.temporal.signals == [(f"audit-window-{audit_id}", "close")]

        await audit.complete(audit_id)
        await audit.complete(audit_id)  # a retried activity changes nothing

        findings = (await audit.http.get(f"/v1/audits/{audit_id}/findings", headers=auth)).json()
        assert findings["close_reason"] == CLOSED_EARLY
        # Scaled by 7 open days a week / 3 covered:
        # physician 20 x 3 = 60 min = 1 h x 7/3 = 2.333 h x $120 = $280, x 0.6 x 0.9 = 151.2;
        # front desk 4 x 30 = 2 h x 7/3 = 4.667 h x $25 = $116.67, x 1.0 x 0.9 = 105.0.
        ranked = [(c["category"], c["score"]) for c in findings["findings"]["candidates"]]
        assert ranked == [("documentation", 151.2), ("appointment_scheduling", 105.0)]
        scaling = findings["findings"]["open_days_covered"], findings["findings"]["open_days_per_week"]
        assert scaling == (3, 7)
        # 2 of 3 staff logged: 67 %, and both roles are represented.
        assert findings["findings"]["coverage"]["low_confidence"] is False
        assert findings["findings"]["coverage"]["missing"] == ["front desk: 1 of 2"]

        again = await audit.http.post(f"/v1/audits/{audit_id}/close", headers=auth)
        assert again.status_code == 409
        late = await audit.http.post(f"/v1/audits/{audit_id}/entries", json=entry(day), headers=auth)
        assert late.status_code == 409
        assert "takes no more entries" in late.json()["detail"]

        async with audit.sessions() as session:
            rows = (
                await session.exec(
                    select(OutboxMessage)
                    .where(OutboxMessage.key == str(clinic_id))
                    .order_by(col(OutboxMessage.id))
                )
            ).all()
        assert [row.topic for row in rows] == ["audit.audit.opened.v1", "audit.audit.completed.v1"]
        opening = AuditOpened.model_validate_json(rows[0].payload)
        assert (opening.audit_id, opening.starts_on, opening.ends_on) == (uuid.UUID(audit_id), START, END)
        event = AuditCompleted.model_validate_json(rows[1].payload)
        assert [c.category for c in event.candidates] == ["documentation", "appointment_scheduling"]
        assert (event.window_start, event.window_end) == (START, END)
        assert event.missing_staff == ["front desk: 1 of 2"]


async def test_profile_updates_win_and_archived_clinics_open_no_window(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        clinic_id = await audit.clinic("officer-a")
        now = datetime.now(UTC)
        raised = [StaffRole(role="front desk", headcount=3, hourly_cost=28.0)]
        update = ClinicUpdated(
            clinic_id=clinic_id,
            officer_id="officer-a",
            name="Test Clinic",
            specialty="family",
            locations=1,
            staff=raised,
            changed=["staff"],
            updated_at=now,
        )
        # The registration travels on its own topic and may arrive after a newer update.
        late_registration = ClinicRegistered(
            clinic_id=clinic_id,
            officer_id="officer-a",
            name="Test Clinic",
            specialty="family",
            locations=1,
            staff=STAFF,
        )
        async with audit.sessions() as session:
            await service.record_clinic(session=session, event=update)
            await service.record_clinic(session=session, event=late_registration)
            await session.commit()
        async with audit.sessions() as session:
            clinic = await session.get(AuditClinic, clinic_id)
        assert clinic is not None and clinic.staff == [role.model_dump() for role in raised]

        async with audit.sessions() as session:
            await service.archive_clinic(
                session=session,
                event=ClinicArchived(clinic_id=clinic_id, officer_id="officer-a", archived_at=now),
            )
            await session.commit()
        refused = await audit.http.post(f"/v1/clinics/{clinic_id}/audits", headers=audit.auth("officer-a"))
        assert refused.status_code == 409
        assert "archived" in refused.json()["detail"]


async def test_an_infinite_or_absurd_hourly_cost_never_reaches_the_findings(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        # The contract now refuses such costs; model_construct stands for a profile recorded before.
        staff = [
            StaffRole.model_construct(role="front desk", headcount=2, hourly_cost=float("inf")),
            StaffRole.model_construct(role="physician", headcount=1, hourly_cost=1e308),
        ]
        clinic_id = await audit.clinic("officer-a", staff=staff)
        async with audit.sessions() as session:
            clinic = await session.get(AuditClinic, clinic_id)
        assert clinic is not None and [role["hourly_cost"] for role in clinic.staff] == [None, None]

        opened = await audit.open_audit("officer-a", clinic_id, starts_on=START.isoformat())
        auth = audit.auth("officer-a")
        logged = await audit.http.post(
            f"/v1/audits/{opened['id']}/entries",
            json=[entry(START), entry(START, staff_id="dr-1", role="physician", category="documentation")],
            headers=auth,
        )
        assert logged.status_code == 201, logged.text
        # Closed at its end: the seven days held the clinic's five open days, so per week = as logged.
        await audit.complete(opened["id"], closed_at=datetime.combine(CLOSES, time(0), UTC))

        findings = (await audit.http.get(f"/v1/audits/{opened['id']}/findings", headers=auth)).json()[
            "findings"
        ]
        assert findings["unpriced_roles"] == ["front desk", "physician"]
        assert findings["total_cost_per_week"] == 0 and findings["total_hours_per_week"] == 4
        async with audit.sessions() as session:
            [row] = (
                await session.exec(
                    select(OutboxMessage).where(
                        OutboxMessage.key == str(clinic_id), OutboxMessage.topic == "audit.audit.completed.v1"
                    )
                )
            ).all()
        assert b"Infinity" not in row.payload
        event = AuditCompleted.model_validate_json(row.payload)  # what roadmap reads
        assert (event.total_cost_per_week, event.total_hours_per_week) == (0, 4)


async def test_an_audit_starting_in_a_far_off_year_is_refused_with_the_field(tmp_path: Path) -> None:
    async with audit_app(tmp_path) as audit:
        clinic_id = await audit.clinic("officer-a")
        refused = await audit.http.post(
            f"/v1/clinics/{clinic_id}/audits",
            json={"starts_on": "9999-12-31", "days": 7},
            headers=audit.auth("officer-a"),
        )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "starts_on"]


@pytest.mark.parametrize(
    "staff_id",
    # A name, an NPI, a phone number, an email, names with a number added: all name a person.
    ["Maria Lopez", "1234567893", "555-123-4567", "jane@clinic.example", "jane.doe.2", "MariaLopez1"],
)
async def test_a_staff_id_that_names_a_person_is_refused_with_what_to_use(
    tmp_path: Path, staff_id: str
) -> None:
    async with audit_app(tmp_path) as audit:
        clinic_id = await audit.clinic("officer-a")
        opened = await audit.open_audit("officer-a", clinic_id, starts_on=START.isoformat())
        refused = await audit.http.post(
            f"/v1/audits/{opened['id']}/entries",
            json=[entry(START, staff_id=staff_id)],
            headers=audit.auth("officer-a"),
        )
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["detail"]
    assert problem["loc"][-1] == "staff_id" and "role plus a number" in problem["msg"]
    assert staff_id not in refused.text  # the refusal never repeats what may name a person
