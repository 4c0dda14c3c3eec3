"""notices: how often mailing a notice failed, and why (a bound on retries per notice)

Revision ID: b2a3306872c8
Revises: 33f69bef9395
Create Date: 2026-12-06 02:41:20.356716
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "b2a3306872c8"
down_revision: str | None = "33f69bef9395"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Server defaults: the notices already there have not failed yet.
    with op.batch_alter_table("portal_notice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mail_failures", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column(
                "mail_problem",
                sqlmodel.sql.sqltypes.AutoString(length=300),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("portal_notice", schema=None) as batch_op:
        batch_op.drop_column("mail_problem")
        batch_op.drop_column("mail_failures")
