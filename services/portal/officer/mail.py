"""Mail over SMTP: sign-in links on request, and urgent plan notices, each notice at most once.

A notice is claimed ("sending") and committed before the message goes out: a crash after the
send leaves it claimed, so it is never mailed twice (at most once, as a person would want).

Each notice is mailed on its own: a message that cannot be made (the standard library's
`email` refuses a header with a line break) or that the relay refuses counts against that
notice only. It is tried again next round, and after MAX_MAIL_ATTEMPTS it is "failed" with
its reason in `mail_problem`; the other notices of the round go out regardless. A relay that
cannot be reached is no notice's fault: the round stops and every claim is given back.
"""

import asyncio
import email.policy
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from sqlmodel import col, select, update

from services.portal.officer.models import PortalOfficer
from services.portal.read_model.models import PortalClinic, PortalNotice
from services.portal.read_model.times import local_time
from services.portal.settings import PortalSettings
from shared import clock, leases
from shared.db import SessionFactory
from shared.names import strip_control_characters

log = logging.getLogger(__name__)

# A notice whose message cannot be made or is refused this often is left "failed" for a person.
MAX_MAIL_ATTEMPTS = 5
# What the relay answers about one message (a recipient, the sender, the data), not about itself.
REFUSED_MESSAGE = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def build_message(settings: PortalSettings, *, to: str, subject: str, text: str) -> EmailMessage:
    """One plain-text message; ValueError when a header would hold a line break (no header injection)."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    return message


def deliver(settings: PortalSettings, message: EmailMessage) -> None:
    """Hand one message to the relay (blocking: call it in a thread)."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)


def send(settings: PortalSettings, *, to: str, subject: str, text: str) -> None:
    """Make and send one plain-text message (blocking: call it in a thread)."""
    deliver(settings, build_message(settings, to=to, subject=subject, text=text))


def notice_text(
    notice: PortalNotice, clinic_name: str, settings: PortalSettings, *, zone: str
) -> tuple[str, str]:
    """The mail of a notice; its due time on the clinic's clock (`zone`), as the pages show it."""
    clinic_name = strip_control_characters(clinic_name)  # a name read before intake refused them
    title = {
        "decision_needed": "Gate decision due",
        "decision_overdue": "Gate decision overdue",
        "adoption_escalation": "Adoption escalation",
    }.get(notice.kind, notice.kind.replace("_", " ").capitalize())
    due = f"\nDue: {local_time(notice.due_at, zone, '%Y-%m-%d %H:%M %Z')}" if notice.due_at else ""
    body = (
        f"{title} at {clinic_name}.\n\n{notice.message}{due}\n\n"
        f"Act on it from Today: {settings.public_url}/today\n"
        f"The clinic: {settings.public_url}/clinics/{notice.clinic_id}\n"
    )
    return f"[faio] {title}: {clinic_name}", body


@dataclass(frozen=True)
class _Claimed:
    notice: PortalNotice
    clinic_name: str
    zone: str
    address: str


class _RelayUnreachable(Exception):
    """The relay could not be reached or refused the session: no notice's fault."""


async def mail_urgent_notices(sessions: SessionFactory, settings: PortalSettings) -> int:
    """Mail every urgent notice not mailed yet, each on its own; returns how many went out."""
    claimed = await _claim_unmailed(sessions)
    sent = 0
    for position, item in enumerate(claimed):
        try:
            problem = await _mail_one(settings, item)
        except _RelayUnreachable as error:
            waiting = claimed[position:]
            log.warning("mail relay unreachable (%s); %d notices wait", error.__cause__, len(waiting))
            for each in waiting:  # given back, no failure counted against them
                await _update(sessions, each.notice, mail_state="")
            break
        if problem is None:
            sent += 1
            await _update(sessions, item.notice, mail_state="sent", mailed_at=clock.now())
        else:
            await _failed(sessions, item.notice, problem)
    return sent


async def _claim_unmailed(sessions: SessionFactory) -> list[_Claimed]:
    """Claim up to 100 unmailed urgent notices ("sending"; "no address" for an officer without one)."""
    async with sessions() as session:
        pending = (
            await session.exec(
                select(PortalNotice, PortalClinic)
                .join(PortalClinic, col(PortalClinic.id) == col(PortalNotice.clinic_id))
                .where(col(PortalNotice.urgent).is_(True), PortalNotice.mail_state == "")
                .limit(100)
            )
        ).all()
        work = []
        for notice, clinic in pending:
            officer = await session.get(PortalOfficer, clinic.officer_id)
            address = officer.email if officer else None
            claimed = await session.exec(
                update(PortalNotice)
                .where(
                    col(PortalNotice.clinic_id) == notice.clinic_id,
                    col(PortalNotice.plan_id) == notice.plan_id,
                    col(PortalNotice.key) == notice.key,
                    col(PortalNotice.mail_state) == "",
                )
                .values(mail_state="sending" if address else "no address", mailed_to=address)
            )
            if claimed.rowcount == 1 and address:  # another instance may have claimed it first
                work.append(_Claimed(notice, clinic.name, clinic.time_zone, address))
        await session.commit()
    return work


async def _mail_one(settings: PortalSettings, item: _Claimed) -> str | None:
    """None once sent; else why this notice's message could not be made or was refused."""
    try:
        subject, text = notice_text(item.notice, item.clinic_name, settings, zone=item.zone)
        message = build_message(settings, to=item.address, subject=subject, text=text)
        await asyncio.to_thread(deliver, settings, message)
    except REFUSED_MESSAGE as error:
        return _problem(error)
    except OSError as error:  # connection, TLS, login, a dropped session: the relay, not the notice
        raise _RelayUnreachable from error
    except Exception as error:  # noqa: BLE001 - whatever breaks one notice's message stays with that notice
        return _problem(error)
    return None


def _problem(error: Exception) -> str:
    return strip_control_characters(f"{type(error).__name__}: {error}")[:300]


async def _failed(sessions: SessionFactory, notice: PortalNotice, problem: str) -> None:
    """Count one failure: tried again next round, or "failed" for good after MAX_MAIL_ATTEMPTS."""
    failures = notice.mail_failures + 1
    log.warning("mailing notice %s failed (%d of %d): %s", notice.key, failures, MAX_MAIL_ATTEMPTS, problem)
    await _update(
        sessions,
        notice,
        mail_state="failed" if failures >= MAX_MAIL_ATTEMPTS else "",
        mail_failures=failures,
        mail_problem=problem,
    )


async def _update(sessions: SessionFactory, notice: PortalNotice, **values: object) -> None:
    async with sessions() as session:
        await session.exec(
            update(PortalNotice)
            .where(
                col(PortalNotice.clinic_id) == notice.clinic_id,
                col(PortalNotice.plan_id) == notice.plan_id,
                col(PortalNotice.key) == notice.key,
            )
            .values(**values)
        )
        await session.commit()


async def mail_periodically(sessions: SessionFactory, settings: PortalSettings) -> None:
    """Look for urgent notices every interval, on one replica per interval (shared/leases.py)."""
    await leases.every_period(
        sessions,
        "portal.mail",
        settings.mail_interval_seconds,
        lambda: mail_urgent_notices(sessions, settings),
    )


async def send_sign_in_link(settings: PortalSettings, *, to: str, link: str) -> None:
    text = (
        "Here is your link to the faio portal. It works once, within 15 minutes:\n\n"
        f"{link}\n\nIf you did not ask for it, ignore this message.\n"
    )
    try:
        await asyncio.to_thread(send, settings, to=to, subject="[faio] Your sign-in link", text=text)
    except smtplib.SMTPException as error:
        raise OSError(str(error)) from error
