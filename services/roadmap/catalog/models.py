"""The solution catalog's tables (an officer's vendors, the seeding mark, an initiative's chosen vendor)
and the catalog as the officer sends and sees it."""

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from services.roadmap.catalog.rules import CatalogCategory, PriceModel
from shared import clock
from shared.free_text import FreeText


def _now() -> datetime:
    return clock.now()


class CatalogEntry(SQLModel, table=True):
    """A vendor's product in one officer's catalog (validated on the way in by CatalogEntryIn)."""

    __tablename__ = "roadmap_catalog_entry"

    officer_id: str = Field(primary_key=True, max_length=100)  # the tenant first in the key
    id: UUID = Field(primary_key=True)
    category: str = Field(max_length=40)
    vendor: str = Field(max_length=100)
    product: str = Field(default="", max_length=100)
    integrations: dict[str, list[str]] = Field(default_factory=dict, sa_type=JSON)
    baa_available: bool = False
    # Whether the tool receives patient identifiers (names, phone numbers, chart data): then it needs a BAA.
    receives_patient_identifiers: bool = True
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

    clinic_id: UUID = Field(primary_key=True)  # the initiative's
    initiative_id: UUID = Field(primary_key=True)
    entry_id: UUID = Field(index=True)
    integrates: bool | None = None
    integration_note: str = Field(default="", max_length=300)
    chosen_at: datetime = Field(default_factory=_now)


class ModelCard(BaseModel):
    """A short applied model card (after CHAI's): use, the vendor's claims, the evidence, the limits."""

    model_config = ConfigDict(extra="forbid")

    intended_use: FreeText = PydanticField(default="", max_length=300)
    claims: FreeText = PydanticField(
        default="", max_length=300, description="what the vendor says it achieves"
    )
    evidence: FreeText = PydanticField(
        default="",
        max_length=400,
        description="independent evidence with its source, or 'vendor case studies'",
    )
    limitations: FreeText = PydanticField(default="", max_length=300)


class CatalogEntryIn(BaseModel):
    """A new vendor, or all of an edited one (PUT replaces)."""

    model_config = ConfigDict(extra="forbid")

    category: CatalogCategory
    vendor: str = PydanticField(min_length=1, max_length=100)
    product: str = PydanticField(default="", max_length=100)
    integrations: dict[str, list[str]] = PydanticField(
        default_factory=dict,
        max_length=10,
        description="kind of clinic system -> supported products, e.g. {'emr': ['athenahealth', 'Epic']}",
    )
    baa_available: bool = False
    receives_patient_identifiers: bool = PydanticField(
        default=True,
        description="the tool receives patient identifiers (so it needs a BAA); a listings tool may not",
    )
    price_model: PriceModel = "quote"
    price_usd: float | None = PydanticField(default=None, ge=0, le=1_000_000, allow_inf_nan=False)
    model_card: ModelCard = PydanticField(default_factory=ModelCard)
    verified: bool = True  # an entry the officer types is one they vetted

    @field_validator("vendor")
    @classmethod
    def _vendor_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("vendor must name the company, e.g. Nabla")
        return value.strip()

    @field_validator("integrations")
    @classmethod
    def _integrations_clean(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        cleaned: dict[str, list[str]] = {}
        for kind, products in value.items():
            key = kind.strip().lower()
            if not key or len(key) > 40:
                raise ValueError(
                    "each integration kind is a short system kind such as emr, phone or scheduling"
                )
            if len(products) > 30 or any(len(product) > 100 for product in products):
                raise ValueError(f"{key}: at most 30 products of up to 100 characters each")
            cleaned[key] = [product.strip() for product in products if product.strip()]
        return cleaned


class CatalogEntryPublic(CatalogEntryIn):
    id: UUID
    category_label: str
    updated_at: datetime


class VendorChoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry_id: UUID


class VendorOption(BaseModel):
    """A catalog entry for an initiative, checked against the clinic's systems."""

    entry: CatalogEntryPublic
    integrates: bool | None
    integration_note: str
    chosen: bool
