"""portal_officer_logo: the officer's optional logo (re-encoded PNG or JPEG), served by its hash

Revision ID: ce502102be36
Revises: c5a25ed228be
Create Date: 2026-12-06 10:25:57.561084
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "ce502102be36"
down_revision: str | None = "c5a25ed228be"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_officer_logo",
        sa.Column("officer_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("officer_id"),
    )
    with op.batch_alter_table("portal_officer_logo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_officer_logo_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("portal_officer_logo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_officer_logo_sha256"))

    op.drop_table("portal_officer_logo")
