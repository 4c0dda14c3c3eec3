"""Roadmap's tables for the strategy map and the solution catalog (listed in models.metadata)."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from shared import clock


def _now() -> datetime:
    return clock.now()


def upsert_statement(session: AsyncSession) -> Any:
    """INSERT ... ON CONFLICT for the session's database: one write statement, no read before it,
    so two requests at once neither collide on a key nor on SQLite's snapshot."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql_insert if dialect == "postgresql" else sqlite_insert


class StrategyAnswer(SQLModel, table=True):
    """One of the interview's 9 x 4 answers: a 0-3 rating and the officer's short note."""

    __tablename__ = "roadmap_strategy_answer"

    clinic_id: UUID = Field(primary_key=True)
    area: str = Field(primary_key=True, max_length=40)
    question: str = Field(primary_key=True, max_length=40)
    rating: int
    note: str = Field(default="", max_length=500)
    answered_by: str = Field(max_length=100)
    answered_at: datetime = Field(default_factory=_now)


class CatalogEntry(SQLModel, table=True):
    """A vendor's product in one officer's catalog (validated on the way in by CatalogEntryIn)."""

    __tablename__ = "roadmap_catalog_entry"

    id: UUID = Field(primary_key=True)
    officer_id: str = Field(index=True, max_length=100)
    category: str = Field(max_length=40)
    vendor: str = Field(max_length=100)
    product: str = Field(default="", max_length=100)
    integrations: dict[str, list[str]] = Field(default_factory=dict, sa_type=JSON)
    baa_available: bool = False
    price_model: str = Field(default="quote", max_length=40)
    price_usd: float | None = None
    model_card: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    verified: bool = False  # the officer checked it with the vendor (seeded entries start unverified)
    updated_at: datetime = Field(default_factory=_now)


class CatalogSeeded(SQLModel, table=True):
    """Marks that an officer's catalog was started from the defaults (never seeded twice)."""

    __tablename__ = "roadmap_catalog_seeded"

    officer_id: str = Field(primary_key=True, max_length=100)
    seeded_at: datetime = Field(default_factory=_now)


class InitiativeVendor(SQLModel, table=True):
    """The catalog entry an initiative will use, with the integration check at the time of choice."""

    __tablename__ = "roadmap_initiative_vendor"

    initiative_id: UUID = Field(primary_key=True)
    entry_id: UUID = Field(index=True)
    integrates: bool | None = None
    integration_note: str = Field(default="", max_length=300)
    chosen_at: datetime = Field(default_factory=_now)
