"""A clinic's staff roster, kept by the officer in the portal: each person's role, the pseudonym
the services know them by, and the name the officer knows them by.

One source of truth: names live only here (never in an event, another service or a log); every
service gets the pseudonym (audit's task-log roster, roadmap's owner and pilot group). Pages turn
pseudonyms back into names for the officer (`names_of`).
"""

import re
from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared import clock
from shared.pseudonyms import pseudonym_for

_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")


def _now() -> datetime:
    return clock.now()


class PortalStaff(SQLModel, table=True):
    """One person on a clinic's roster. Deactivated, not deleted: old plans still name them."""

    __tablename__ = "portal_staff"

    # The clinic first in the key (the tenant: tests/unit/test_tenant_keys.py).
    clinic_id: UUID = Field(primary_key=True)
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    officer_id: str = Field(max_length=100)
    pseudonym: str = Field(max_length=64)
    role: str = Field(max_length=60)
    display_name: str = Field(max_length=120)
    active: bool = True
    added_at: datetime = Field(default_factory=_now)


def role_slug(role: str) -> str:
    """'Front desk' -> 'front-desk': audit's default roster spells pseudonyms the same way."""
    return _NOT_ALPHANUMERIC.sub("-", role.lower()).strip("-") or "staff"


async def roster(session: AsyncSession, clinic_id: UUID, *, active_only: bool = False) -> list[PortalStaff]:
    """The clinic's staff, by role then name."""
    query = select(PortalStaff).where(PortalStaff.clinic_id == clinic_id)
    if active_only:
        query = query.where(col(PortalStaff.active).is_(True))
    rows = (await session.exec(query)).all()
    return sorted(
        rows, key=lambda person: (not person.active, person.role.lower(), person.display_name.lower())
    )


async def names_of(session: AsyncSession, clinic_id: UUID, *, secret: str) -> dict[str, str]:
    """Pseudonym -> the name the officer gave (lower-cased keys: services compare pseudonyms so).

    Both forms are known: the roster's label (an owner) and its keyed form (`fp-...`), which is how
    roadmap and kpi keep a pilot group or training attendees (shared/pseudonyms.py).
    """
    names: dict[str, str] = {}
    for person in await roster(session, clinic_id):
        names[person.pseudonym.lower()] = person.display_name
        names[pseudonym_for(person.pseudonym, clinic_id=clinic_id, secret=secret)] = person.display_name
    return names


def named(pseudonym: str | None, names: dict[str, str]) -> str:
    """The person's name when the roster knows them, else the pseudonym as the service gave it."""
    if not pseudonym:
        return ""
    return names.get(pseudonym.lower(), pseudonym)


async def add_person(
    session: AsyncSession, *, clinic_id: UUID, officer_id: str, role: str, display_name: str
) -> PortalStaff:
    """A new person with the next free pseudonym of their role (front-desk-1, front-desk-2, ...)."""
    taken = {person.pseudonym.lower() for person in await roster(session, clinic_id)}
    slug = role_slug(role)
    number = 1
    while f"{slug}-{number}" in taken:
        number += 1
    person = PortalStaff(
        clinic_id=clinic_id,
        officer_id=officer_id,
        pseudonym=f"{slug}-{number}",
        role=role,
        display_name=display_name,
    )
    session.add(person)
    await session.commit()
    return person
