"""clinic calendar

Revision ID: 58fbc136d074
Revises: f7b3c2d8e6a1
Create Date: 2026-12-06 01:49:44.448721
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "58fbc136d074"
down_revision: str | None = "f7b3c2d8e6a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("portal_clinic", schema=None) as batch_op:
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
    with op.batch_alter_table("portal_clinic", schema=None) as batch_op:
        batch_op.drop_column("closures")
        batch_op.drop_column("holidays")
        batch_op.drop_column("open_days")
        batch_op.drop_column("time_zone")
