"""portal_officer: time zone, country and the Monday digest; portal_clinic_note: notes per clinic

Revision ID: e7b2c9d4a1f3
Revises: c4d1e7a9b2f0
Create Date: 2026-12-06 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "e7b2c9d4a1f3"
down_revision: str | None = "c4d1e7a9b2f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("portal_officer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "time_zone",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="America/New_York",
            )
        )
        batch_op.add_column(
            sa.Column(
                "country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False, server_default="US"
            )
        )
        batch_op.add_column(sa.Column("digest", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(
            sa.Column(
                "digest_week", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default=""
            )
        )
    op.create_table(
        "portal_clinic_note",
        sa.Column("officer_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("clinic_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("officer_id", "clinic_id"),
    )


def downgrade() -> None:
    op.drop_table("portal_clinic_note")
    with op.batch_alter_table("portal_officer", schema=None) as batch_op:
        batch_op.drop_column("digest_week")
        batch_op.drop_column("digest")
        batch_op.drop_column("country")
        batch_op.drop_column("time_zone")
