"""clinic calendar

Revision ID: 37b81af105f4
Revises: f0b2c3d4e5a6
Create Date: 2026-12-06 01:49:35.949212
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "37b81af105f4"
down_revision: str | None = "f0b2c3d4e5a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_clinic", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "time_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default="UTC"
            )
        )
        batch_op.add_column(
            sa.Column(
                "open_days", sa.JSON(), nullable=False, server_default='["mon", "tue", "wed", "thu", "fri"]'
            )
        )
        batch_op.add_column(
            sa.Column(
                "holidays", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False, server_default=""
            )
        )
        batch_op.add_column(sa.Column("closures", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("audit_clinic", schema=None) as batch_op:
        batch_op.drop_column("closures")
        batch_op.drop_column("holidays")
        batch_op.drop_column("open_days")
        batch_op.drop_column("time_zone")
