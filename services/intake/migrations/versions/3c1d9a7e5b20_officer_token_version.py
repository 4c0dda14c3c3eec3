"""officer token version: bumping it revokes every earlier token

Revision ID: 3c1d9a7e5b20
Revises: 77b85b4a5f71
Create Date: 2026-11-27 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c1d9a7e5b20"
down_revision: str | None = "77b85b4a5f71"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing officers start at version 1, which is also what a token without `ver` counts as.
    with op.batch_alter_table("intake_officer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("intake_officer", schema=None) as batch_op:
        batch_op.drop_column("token_version")
