"""clinic calendar and officer time zone

Revision ID: daf805822d3f
Revises: f0a1c2d3e4b5
Create Date: 2026-12-06 01:43:14.793237
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.migrations import add_calendar_columns, drop_calendar_columns

revision: str = "daf805822d3f"
down_revision: str | None = "f0a1c2d3e4b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_calendar_columns("clinic")
    with op.batch_alter_table("intake_officer") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="UTC"))


def downgrade() -> None:
    with op.batch_alter_table("intake_officer") as batch:
        batch.drop_column("time_zone")
    drop_calendar_columns("clinic")
