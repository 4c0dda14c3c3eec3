"""initiative approval review

What approval checked (target vs published effects, minimum pilot weeks, warnings, baseline,
money) is kept on the initiative.

Revision ID: e5a1c3b7d902
Revises: c41f0e2a9d37
Create Date: 2026-11-27 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5a1c3b7d902"
down_revision: str | None = "c41f0e2a9d37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("roadmap_initiative") as batch:
        batch.add_column(sa.Column("review", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("roadmap_initiative") as batch:
        batch.drop_column("review")
