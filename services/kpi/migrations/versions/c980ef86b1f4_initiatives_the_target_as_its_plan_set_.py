"""initiatives: the target as its plan set it after approval

Revision ID: c980ef86b1f4
Revises: fb1923d99467
Create Date: 2026-12-06 07:51:24.928636
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c980ef86b1f4"
down_revision: str | None = "fb1923d99467"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Initiatives already here have had no word from their plan since approval.
    with op.batch_alter_table("kpi_initiative", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_set_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "target_problem",
                sqlmodel.sql.sqltypes.AutoString(length=500),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("kpi_initiative", schema=None) as batch_op:
        batch_op.drop_column("target_problem")
        batch_op.drop_column("target_set_at")
