"""clinic calendar

Revision ID: f8aaf2cc9308
Revises: strategy_a1c9
Create Date: 2026-12-06 01:52:29.036675
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "f8aaf2cc9308"
down_revision: str | None = "strategy_a1c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("roadmap_clinic", schema=None) as batch_op:
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
    with op.batch_alter_table("roadmap_clinic", schema=None) as batch_op:
        batch_op.drop_column("closures")
        batch_op.drop_column("holidays")
        batch_op.drop_column("open_days")
        batch_op.drop_column("time_zone")
