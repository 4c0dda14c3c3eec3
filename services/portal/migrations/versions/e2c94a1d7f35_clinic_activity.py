"""clinic activity read model

Each clinic's partner feeds (last event day, quiet or not) and AI use by week, from
kpi.clinic.activity.v1: counts only.

Revision ID: e2c94a1d7f35
Revises: buyin_plan_buy_in
Create Date: 2026-11-27 16:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e2c94a1d7f35"
down_revision: str | None = "buyin_plan_buy_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_clinic_activity",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("last_event_day", sa.Date(), nullable=True),
        sa.Column("feeds", sa.JSON(), nullable=False),
        sa.Column("adoption", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("clinic_id"),
    )


def downgrade() -> None:
    op.drop_table("portal_clinic_activity")
