"""portal_staff: each clinic's roster, the officer's names for the pseudonyms the services know

Revision ID: d7a2c5e8f1b3
Revises: e7b2c9d4a1f3
Create Date: 2026-12-06 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "d7a2c5e8f1b3"
down_revision: str | None = "e7b2c9d4a1f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_staff",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("officer_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("pseudonym", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("added_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("portal_staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_staff_clinic_id"), ["clinic_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("portal_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_staff_clinic_id"))
    op.drop_table("portal_staff")
