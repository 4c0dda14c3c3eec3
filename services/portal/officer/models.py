"""The officer's own state in the portal: who signed in, their browser sessions, the sign-in links
already spent, and the Today items they took away. Written by the officer's actions, never by events.
"""

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from shared import clock
from shared.auth import FIRST_TOKEN_VERSION


def _now() -> datetime:
    return clock.now()


class PortalDismissal(SQLModel, table=True):
    """A need the officer settled (pages/needs.py): dismissed (handled elsewhere; undone by deleting
    the row), snoozed until a date, or a gate decided (gone before roadmap's event arrives). A new
    episode has a new key."""

    __tablename__ = "portal_dismissal"

    officer_id: str = Field(primary_key=True, max_length=100)
    item_key: str = Field(primary_key=True, max_length=200)
    dismissed_at: datetime = Field(default_factory=_now)
    how: str = Field(default="dismissed", max_length=20)
    until: date | None = None  # a snooze's last day away


class PortalOfficer(SQLModel, table=True):
    """An officer who signed in, and where urgent notices are mailed (when known)."""

    __tablename__ = "portal_officer"

    id: str = Field(primary_key=True, max_length=100)
    name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=320)
    last_sign_in_at: datetime | None = None
    # The officer's own clock (the calendar, the digest) and paper (US Letter or A4 by country).
    time_zone: str = Field(default="America/New_York", max_length=64)
    country: str = Field(default="US", max_length=2)
    # The Monday digest: on unless the officer opted out; the ISO week last mailed (once a week).
    digest: bool = True
    digest_week: str = Field(default="", max_length=8)


class PortalClinicNote(SQLModel, table=True):
    """The officer's own note on a clinic: free text about the work, refused if it holds patient data."""

    __tablename__ = "portal_clinic_note"

    officer_id: str = Field(primary_key=True, max_length=100)
    clinic_id: str = Field(primary_key=True, max_length=32)
    text: str = Field(default="", max_length=2000)
    changed_at: datetime = Field(default_factory=_now)


class SpentSignIn(SQLModel, table=True):
    """A sign-in token already used: the same link never signs in twice."""

    __tablename__ = "portal_spent_sign_in"

    jti: str = Field(primary_key=True, max_length=100)
    officer_id: str = Field(max_length=100)
    expires_at: datetime
    spent_at: datetime = Field(default_factory=_now)


class PortalSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random id; only its hash is stored."""

    __tablename__ = "portal_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    officer_id: str = Field(index=True, max_length=100)
    officer_name: str = Field(default="", max_length=200)
    csrf_token: str = Field(max_length=64)
    # The officer's token version at sign-in: the portal acts at it; a revocation ends the session.
    token_version: int = Field(default=FIRST_TOKEN_VERSION)
    created_at: datetime = Field(default_factory=_now)
    expires_at: datetime
