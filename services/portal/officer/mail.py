"""Mail over SMTP: sign-in links on request, and urgent plan notices, each notice at most once.

A notice is claimed ("sending") and committed before the message goes out: a crash after the
send leaves it claimed, so it is never mailed twice (at most once, as a person would want).
A send that fails outright gives the claim back, to try again on the next round.
"""

import asyncio
import logging
import smtplib
from email.message import EmailMessage

from sqlmodel import col, select, update

from services.portal.officer.models import PortalOfficer
from services.portal.read_model.models import PortalClinic, PortalNotice
from services.portal.read_model.times import local_time
from services.portal.settings import PortalSettings
from shared import clock
from shared.db import SessionFactory

log = logging.getLogger(__name__)


def send(settings: PortalSettings, *, to: str, subject: str, text: str) -> None:
    """Send one plain-text message (blocking: call it in a thread)."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)


def notice_text(
    notice: PortalNotice, clinic_name: str, settings: PortalSettings, *, zone: str
) -> tuple[str, str]:
    """The mail of a notice; its due time on the clinic's clock (`zone`), as the pages show it."""
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


async def mail_urgent_notices(sessions: SessionFactory, settings: PortalSettings) -> int:
    """Mail every urgent notice not mailed yet; returns how many went out."""
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
                    col(PortalNotice.plan_id) == notice.plan_id,
                    col(PortalNotice.key) == notice.key,
                    col(PortalNotice.mail_state) == "",
                )
                .values(mail_state="sending" if address else "no address", mailed_to=address)
            )
            if claimed.rowcount == 1 and address:  # another instance may have claimed it first
                work.append((notice, clinic.name, clinic.time_zone, address))
        await session.commit()
    sent = 0
    for notice, clinic_name, zone, address in work:
        subject, text = notice_text(notice, clinic_name, settings, zone=zone)
        try:
            await asyncio.to_thread(send, settings, to=address, subject=subject, text=text)
        except (OSError, smtplib.SMTPException) as error:
            log.warning("mailing notice %s failed (%s); retrying next round", notice.key, error)
            state, when = "", None
        else:
            state, when = "sent", clock.now()
            sent += 1
        async with sessions() as session:
            await session.exec(
                update(PortalNotice)
                .where(col(PortalNotice.plan_id) == notice.plan_id, col(PortalNotice.key) == notice.key)
                .values(mail_state=state, mailed_at=when)
            )
            await session.commit()
    return sent


async def mail_periodically(sessions: SessionFactory, settings: PortalSettings) -> None:
    while True:
        try:
            await mail_urgent_notices(sessions, settings)
        except Exception:
            log.warning("mailing urgent notices failed; retrying next round", exc_info=True)
        await asyncio.sleep(settings.mail_interval_seconds)


async def send_sign_in_link(settings: PortalSettings, *, to: str, link: str) -> None:
    text = (
        "Here is your link to the faio portal. It works once, within 15 minutes:\n\n"
        f"{link}\n\nIf you did not ask for it, ignore this message.\n"
    )
    try:
        await asyncio.to_thread(send, settings, to=to, subject="[faio] Your sign-in link", text=text)
    except smtplib.SMTPException as error:
        raise OSError(str(error)) from error
