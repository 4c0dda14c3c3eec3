"""Officers and their tokens: creation, new tokens, revocation, and the check every request passes.

A token names its officer (`sub`) and the token version it was issued at (`ver`). Revoking
bumps the officer's version, so every token issued before is refused from then on, here at
intake and, through `intake.officer.tokens-revoked.v1`, by any service that keeps a copy.
"""

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.models import Officer, OfficerAccount, OfficerCreate, OfficerToken
from shared import clock
from shared.auth import InvalidToken, issue_token
from shared.auth import Officer as Caller
from shared.errors import Conflict, NotFound
from shared.events.intake import OfficerTokensRevoked
from shared.outbox import add_to_outbox
from shared.settings import SharedSettings

SOURCE = "/faio/intake"


async def create_officer(*, session: AsyncSession, officer_in: OfficerCreate) -> Officer:
    """Store a new officer; Conflict when the email is taken."""
    officer = Officer(name=officer_in.name, email=officer_in.email, time_zone=officer_in.time_zone)
    session.add(officer)
    try:
        await session.commit()
    except IntegrityError as error:
        await session.rollback()
        raise Conflict(
            f"an officer with email {officer_in.email} already exists; "
            f"get them a new token with `faio officer token --email {officer_in.email}`"
        ) from error
    await session.refresh(officer)
    return officer


async def list_officers(*, session: AsyncSession) -> list[Officer]:
    """Every officer, oldest first."""
    return list((await session.exec(select(Officer).order_by(col(Officer.created_at)))).all())


async def officer_by_email(*, session: AsyncSession, email: str) -> Officer:
    """The officer with this email; NotFound saying how to create one."""
    officer = (await session.exec(select(Officer).where(col(Officer.email) == email.lower()))).first()
    if officer is None:
        raise NotFound(f"no officer with email {email}; create one with `faio officer create`")
    return officer


async def set_time_zone(*, session: AsyncSession, officer_id: str, time_zone: str) -> Officer:
    """The zone the officer's new clinics get unless they name their own; NotFound for an unknown officer."""
    officer = await session.get(Officer, officer_id)
    if officer is None:
        raise NotFound(
            f"officer {officer_id} is not registered at intake; create one with `faio officer create`"
        )
    officer.time_zone = time_zone
    session.add(officer)
    await session.commit()
    await session.refresh(officer)
    return officer


def account(officer: Officer) -> OfficerAccount:
    return OfficerAccount.model_validate(officer, from_attributes=True)


def token_for(officer: Officer, settings: SharedSettings) -> OfficerToken:
    """A new bearer token at the officer's current version (earlier unrevoked ones stay valid)."""
    token = issue_token(
        settings, officer_id=officer.id, name=officer.name, token_version=officer.token_version
    )
    expires_at = clock.now() + timedelta(days=settings.token_lifetime_days)
    return OfficerToken(officer=account(officer), token=token, expires_at=expires_at)


async def revoke_tokens(*, session: AsyncSession, officer: Officer) -> Officer:
    """Refuse every token issued so far: bump the version and tell the other services, one commit."""
    officer.token_version += 1
    session.add(officer)
    add_to_outbox(
        session,
        OfficerTokensRevoked(
            officer_id=officer.id, token_version=officer.token_version, revoked_at=clock.now()
        ),
        source=SOURCE,
        subject=officer.id,
    )
    await session.commit()
    await session.refresh(officer)
    return officer


async def check_caller(*, session: AsyncSession, caller: Caller) -> None:
    """InvalidToken unless the token names an existing officer at their current token version."""
    officer = await session.get(Officer, caller.id)
    if officer is None:
        raise InvalidToken(f"no officer {caller.id} exists here")
    if caller.token_version < officer.token_version:
        raise InvalidToken("this token was revoked")
    if caller.token_version > officer.token_version:
        raise InvalidToken("this token's version was never issued")
