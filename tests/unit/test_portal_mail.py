"""Urgent notices are mailed over SMTP once, to the officer's address; the local sink keeps .eml files."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from sqlmodel import select

from deploy.local.kafka import free_port
from deploy.local.mail_sink import start_sink
from services.portal.officer import mail
from services.portal.officer.models import PortalOfficer
from services.portal.read_model.models import PortalClinic, PortalNotice
from services.portal.settings import PortalSettings
from shared import db

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[tuple[PortalSettings, Path]]:
    folder = tmp_path / "mail"
    port = free_port()
    controller = start_sink("127.0.0.1", port, folder)
    try:
        yield PortalSettings(environment="test", smtp_port=port, public_url="http://portal.test"), folder
    finally:
        controller.stop()


async def add_notice(
    portal_sessions: db.SessionFactory, *, officer_email: str | None, kind: str, urgent: bool, key: str
) -> None:
    clinic_id = uuid4()
    officer_id = f"officer-{uuid4()}"
    async with portal_sessions() as session:
        session.add(PortalOfficer(id=officer_id, name="Dana", email=officer_email))
        session.add(
            PortalClinic(id=clinic_id, officer_id=officer_id, name="Harbor Orthopedics", specialty="ortho")
        )
        session.add(
            PortalNotice(
                plan_id="plan-1",
                key=key,
                clinic_id=clinic_id,
                initiative_id=uuid4(),
                kind=kind,
                urgent=urgent,
                phase="evaluation",
                message="The pilot ended: 11.6 minutes per note against a target of 10.1.",
                due_at=NOW,
                raised_at=NOW,
            )
        )
        await session.commit()


async def test_an_urgent_notice_is_mailed_once_and_a_routine_one_never(
    portal_sessions: db.SessionFactory, sink: tuple[PortalSettings, Path]
) -> None:
    settings, folder = sink
    await add_notice(
        portal_sessions, officer_email="dana@clinic.test", kind="decision_needed", urgent=True, key="k1"
    )
    await add_notice(
        portal_sessions, officer_email="dana@clinic.test", kind="checkin", urgent=False, key="k2"
    )
    assert await mail.mail_urgent_notices(portal_sessions, settings) == 1
    assert await mail.mail_urgent_notices(portal_sessions, settings) == 0  # never twice
    messages = list(folder.glob("*.eml"))
    assert len(messages) == 1
    text = messages[0].read_text()
    assert "Subject: [faio] Gate decision due: Harbor Orthopedics" in text
    assert "To: dana@clinic.test" in text and "http://portal.test/today" in text
    async with portal_sessions() as session:
        states = {
            notice.key: notice.mail_state for notice in (await session.exec(select(PortalNotice))).all()
        }
    assert states == {"k1": "sent", "k2": ""}


async def test_a_notice_for_an_officer_without_an_address_is_recorded_not_sent(
    portal_sessions: db.SessionFactory, sink: tuple[PortalSettings, Path]
) -> None:
    settings, folder = sink
    await add_notice(portal_sessions, officer_email=None, kind="adoption_escalation", urgent=True, key="k3")
    assert await mail.mail_urgent_notices(portal_sessions, settings) == 0
    assert not list(folder.glob("*.eml"))
    async with portal_sessions() as session:
        notice = (await session.exec(select(PortalNotice))).one()
    assert notice.mail_state == "no address"


async def test_a_relay_that_is_down_leaves_the_notice_to_retry(portal_sessions: db.SessionFactory) -> None:
    settings = PortalSettings(environment="test", smtp_port=free_port())  # nothing listens there
    await add_notice(
        portal_sessions, officer_email="dana@clinic.test", kind="decision_overdue", urgent=True, key="k4"
    )
    assert await mail.mail_urgent_notices(portal_sessions, settings) == 0
    async with portal_sessions() as session:
        notice = (await session.exec(select(PortalNotice))).one()
    assert notice.mail_state == ""  # tried again next round
