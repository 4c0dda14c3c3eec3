"""plan buy-in read model

A plan's staff buy-in figures from roadmap.plan.buy-in-changed.v1 (counts and, from five survey
answers on, aggregates; nothing that names anyone).

Revision ID: buyin_plan_buy_in
Revises: 074fd0d92b8c
Create Date: 2026-11-27 13:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "buyin_plan_buy_in"
down_revision: str | None = "074fd0d92b8c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_plan_buy_in",
        sa.Column("plan_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id"),
    )
    op.create_index(op.f("ix_portal_plan_buy_in_clinic_id"), "portal_plan_buy_in", ["clinic_id"])


def downgrade() -> None:
    op.drop_table("portal_plan_buy_in")
