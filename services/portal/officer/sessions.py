"""Signing in with a one-time link, browser sessions, and CSRF tokens.

The session cookie holds a random id; the database keeps only its SHA-256, so a copy of the
database signs nobody in. Each session has its own CSRF token, which every form carries.

A session is bound to the officer's token version its sign-in link was issued at: the portal acts
at that version, and a revocation (`intake.officer.tokens-revoked.v1`, or a newer link) ends every
session opened before it on its next request.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.officer.models import PortalOfficer, PortalSession, SpentSignIn
from services.portal.read_model.times import aware
from services.portal.settings import PortalSettings
from shared import clock
from shared.auth import FIRST_TOKEN_VERSION, InvalidToken, Officer, verify_sign_in_token
from shared.errors import Refused
from shared.revocations import RevokedTokens

SESSION_COOKIE = "faio_portal_session"
# Forms shown before signing in (asking for a link) use a double-submit cookie instead.
ANONYMOUS_CSRF_COOKIE = "faio_portal_csrf"


@dataclass(frozen=True)
class SignedIn:
    """The officer behind a browser session."""

    officer_id: str
    officer_name: str
    csrf_token: str
    token_version: int = FIRST_TOKEN_VERSION


class SessionEnded(Exception):
    """The session was opened before the officer's tokens were revoked: it is over."""

    def __init__(self) -> None:
        super().__init__(
            "You were signed out because your officer tokens were revoked. Ask for a new sign-in link below."
        )


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def sign_in(
    *, session: AsyncSession, settings: PortalSettings, revoked: RevokedTokens, token: str, now: datetime
) -> tuple[str, SignedIn]:
    """Spend a sign-in token and open a session; Refused says why a link does not work."""
    try:
        officer, jti, expires_at = verify_sign_in_token(settings, token)
    except InvalidToken as error:
        raise Refused(
            f"this sign-in link does not work ({error}); ask for a new one below "
            "or run `faio officer login --email you@example.org`"
        ) from error
    if revoked.revoked(officer):
        raise Refused("this sign-in link was made before your tokens were revoked; ask for a new one below")
    if await session.get(SpentSignIn, jti) is not None:
        raise Refused("this sign-in link was already used; each link works once, ask for a new one below")
    session.add(SpentSignIn(jti=jti, officer_id=officer.id, expires_at=expires_at, spent_at=now))
    try:
        await session.flush()  # two tabs opening the same link at once: one wins on the key
    except IntegrityError as error:
        raise Refused("this sign-in link was already used; each link works once") from error
    known = await session.get(PortalOfficer, officer.id)
    record = known or PortalOfficer(id=officer.id)
    record.name = officer.name or record.name
    record.last_sign_in_at = now
    session.add(record)
    # Intake signed this link at the officer's current version: anything older is revoked, even
    # before its revocation event arrives here.
    revoked.record_current(officer.id, officer.token_version)
    await session.exec(
        delete(PortalSession).where(
            col(PortalSession.officer_id) == officer.id,
            col(PortalSession.token_version) < officer.token_version,
        )
    )
    session_id = secrets.token_urlsafe(32)
    signed_in = SignedIn(
        officer_id=officer.id,
        officer_name=record.name,
        csrf_token=secrets.token_urlsafe(24),
        token_version=officer.token_version,
    )
    session.add(
        PortalSession(
            id_hash=_hash(session_id),
            officer_id=officer.id,
            officer_name=record.name,
            csrf_token=signed_in.csrf_token,
            token_version=officer.token_version,
            created_at=now,
            expires_at=now + timedelta(hours=settings.session_hours),
        )
    )
    # Spent tokens past their expiry can never be presented again: no need to keep them.
    await session.exec(delete(SpentSignIn).where(SpentSignIn.expires_at < now))  # type: ignore[arg-type]
    await session.commit()
    return session_id, signed_in


async def signed_in_officer(
    *, session: AsyncSession, revoked: RevokedTokens, session_id: str | None, now: datetime
) -> SignedIn | None:
    """The officer of a live session cookie, or None; SessionEnded (and the session deleted) when
    the officer's tokens were revoked after it was opened."""
    if not session_id:
        return None
    record = await session.get(PortalSession, _hash(session_id))
    if record is None or aware(record.expires_at) <= now:
        return None
    if revoked.revoked(Officer(id=record.officer_id, token_version=record.token_version)):
        await session.delete(record)
        await session.commit()
        raise SessionEnded
    return SignedIn(
        officer_id=record.officer_id,
        officer_name=record.officer_name,
        csrf_token=record.csrf_token,
        token_version=record.token_version,
    )


async def sign_out(*, session: AsyncSession, session_id: str) -> None:
    await session.exec(delete(PortalSession).where(PortalSession.id_hash == _hash(session_id)))  # type: ignore[arg-type]
    await session.commit()


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def utcnow() -> datetime:
    return clock.now()
