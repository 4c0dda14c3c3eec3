"""portal_dismissal: how a need was settled (dismissed, snoozed, decided) and a snooze's last day

Revision ID: c4d1e7a9b2f0
Revises: b2a3306872c8
Create Date: 2026-12-06 07:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c4d1e7a9b2f0"
down_revision: str | None = "b2a3306872c8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Server default: the rows already there were dismissals.
    with op.batch_alter_table("portal_dismissal", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "how", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="dismissed"
            )
        )
        batch_op.add_column(sa.Column("until", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("portal_dismissal", schema=None) as batch_op:
        batch_op.drop_column("until")
        batch_op.drop_column("how")
