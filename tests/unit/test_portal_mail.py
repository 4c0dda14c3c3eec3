"""Urgent notices are mailed over SMTP once, to the officer's address; the local sink keeps .eml files.

Each notice on its own: one whose message cannot be made, or that the relay refuses, never keeps
another officer's notice from going out, and is retried a bounded number of times.
"""

import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlmodel import select

from deploy.local.kafka import free_port
from deploy.local.mail_sink import EmlFolder, start_sink
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
    portal_sessions: db.SessionFactory,
    *,
    officer_email: str | None,
    kind: str,
    urgent: bool,
    key: str,
    clinic_name: str = "Harbor Orthopedics",
) -> None:
    clinic_id = uuid4()
    officer_id = f"officer-{uuid4()}"
    async with portal_sessions() as session:
        session.add(PortalOfficer(id=officer_id, name="Dana", email=officer_email))
        session.add(PortalClinic(id=clinic_id, officer_id=officer_id, name=clinic_name, specialty="ortho"))
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
    assert notice.mail_failures == 0  # the relay's outage is not the notice's fault


async def notices(portal_sessions: db.SessionFactory) -> dict[str, PortalNotice]:
    async with portal_sessions() as session:
        return {notice.key: notice for notice in (await session.exec(select(PortalNotice))).all()}


def mailed(folder: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]


async def test_a_clinic_name_with_a_line_break_stays_in_the_subject_on_one_line(
    portal_sessions: db.SessionFactory, sink: tuple[PortalSettings, Path]
) -> None:
    settings, folder = sink
    # A name stored before intake refused control characters (the read model keeps what events said).
    poisoned = "Harbor\r\nBcc: everyone@example.org\r\n\x1b[2J"
    await add_notice(
        portal_sessions,
        officer_email="dana@clinic.test",
        kind="decision_needed",
        urgent=True,
        key="k5",
        clinic_name=poisoned,
    )
    assert await mail.mail_urgent_notices(portal_sessions, settings) == 1
    (message,) = mailed(folder)
    assert message["Subject"] == "[faio] Gate decision due: Harbor Bcc: everyone@example.org [2J"
    assert message["Bcc"] is None and message["To"] == "dana@clinic.test"


async def test_a_notice_whose_message_cannot_be_made_does_not_stop_the_others(
    portal_sessions: db.SessionFactory, sink: tuple[PortalSettings, Path]
) -> None:
    settings, folder = sink
    await add_notice(
        portal_sessions, officer_email="ana@clinic.test", kind="decision_needed", urgent=True, key="a"
    )
    # An address the standard library refuses to put in a header (a line break: header injection).
    await add_notice(
        portal_sessions,
        officer_email="bad@clinic.test\r\nBcc: x@example.org",
        kind="decision_overdue",
        urgent=True,
        key="b",
    )
    await add_notice(
        portal_sessions, officer_email="cy@clinic.test", kind="adoption_escalation", urgent=True, key="c"
    )
    assert await mail.mail_urgent_notices(portal_sessions, settings) == 2
    assert sorted(message["To"] for message in mailed(folder)) == ["ana@clinic.test", "cy@clinic.test"]
    states = await notices(portal_sessions)
    assert (states["a"].mail_state, states["c"].mail_state) == ("sent", "sent")
    bad = states["b"]
    assert (bad.mail_state, bad.mail_failures) == ("", 1)  # tried again next round
    assert "ValueError" in bad.mail_problem and "\n" not in bad.mail_problem
    for _ in range(mail.MAX_MAIL_ATTEMPTS - 1):
        assert await mail.mail_urgent_notices(portal_sessions, settings) == 0
    bad = (await notices(portal_sessions))["b"]
    assert (bad.mail_state, bad.mail_failures) == ("failed", mail.MAX_MAIL_ATTEMPTS)  # for good
    assert await mail.mail_urgent_notices(portal_sessions, settings) == 0
    assert (await notices(portal_sessions))["b"].mail_failures == mail.MAX_MAIL_ATTEMPTS
    assert len(mailed(folder)) == 2


class RefusingOneDomain(EmlFolder):
    """A relay that refuses every recipient at refused.test and takes the rest."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.endswith("@refused.test"):
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


async def test_a_recipient_the_relay_refuses_counts_against_that_notice_only(
    portal_sessions: db.SessionFactory, tmp_path: Path
) -> None:
    port = free_port()
    controller = Controller(RefusingOneDomain(tmp_path / "mail"), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = PortalSettings(environment="test", smtp_port=port)
        await add_notice(
            portal_sessions, officer_email="gone@refused.test", kind="decision_needed", urgent=True, key="r"
        )
        await add_notice(
            portal_sessions, officer_email="dana@clinic.test", kind="decision_needed", urgent=True, key="s"
        )
        assert await mail.mail_urgent_notices(portal_sessions, settings) == 1
    finally:
        controller.stop()
    states = await notices(portal_sessions)
    assert states["s"].mail_state == "sent"
    assert (states["r"].mail_state, states["r"].mail_failures) == ("", 1)
    assert "SMTPRecipientsRefused" in states["r"].mail_problem
