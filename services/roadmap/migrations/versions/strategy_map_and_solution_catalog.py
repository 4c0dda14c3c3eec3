"""strategy map and solution catalog

The strategy interview's answers (per clinic, area and question), each officer's solution
catalog with its seed marker, and the catalog entry an initiative will use.

Revision ID: strategy_a1c9
Revises: buyin_staff_buy_in
Create Date: 2026-11-27 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "strategy_a1c9"
down_revision: str | None = "buyin_staff_buy_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roadmap_strategy_answer",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("area", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("question", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("answered_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", "area", "question"),
    )
    op.create_table(
        "roadmap_catalog_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("officer_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("vendor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("product", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("integrations", sa.JSON(), nullable=False),
        sa.Column("baa_available", sa.Boolean(), nullable=False),
        sa.Column("price_model", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("price_usd", sa.Float(), nullable=True),
        sa.Column("model_card", sa.JSON(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_roadmap_catalog_entry_officer_id"), "roadmap_catalog_entry", ["officer_id"], unique=False
    )
    op.create_table(
        "roadmap_catalog_seeded",
        sa.Column("officer_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("seeded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("officer_id"),
    )
    op.create_table(
        "roadmap_initiative_vendor",
        sa.Column("initiative_id", sa.Uuid(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("integrates", sa.Boolean(), nullable=True),
        sa.Column("integration_note", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("chosen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("initiative_id"),
    )
    op.create_index(
        op.f("ix_roadmap_initiative_vendor_entry_id"), "roadmap_initiative_vendor", ["entry_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_roadmap_initiative_vendor_entry_id"), table_name="roadmap_initiative_vendor")
    op.drop_table("roadmap_initiative_vendor")
    op.drop_table("roadmap_catalog_seeded")
    op.drop_index(op.f("ix_roadmap_catalog_entry_officer_id"), table_name="roadmap_catalog_entry")
    op.drop_table("roadmap_catalog_entry")
    op.drop_table("roadmap_strategy_answer")
