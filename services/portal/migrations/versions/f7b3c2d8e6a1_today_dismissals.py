"""items the officer took off Today

Revision ID: f7b3c2d8e6a1
Revises: e2c94a1d7f35
Create Date: 2026-11-27 16:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "f7b3c2d8e6a1"
down_revision: str | None = "e2c94a1d7f35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_dismissal",
        sa.Column("officer_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("item_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("dismissed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("officer_id", "item_key"),
    )


def downgrade() -> None:
    op.drop_table("portal_dismissal")
