"""clinic roadmap workflow removed

The placeholder ClinicRoadmapWorkflow is gone, and with it the column naming its workflow id.

Revision ID: c41f0e2a9d37
Revises: 7b2d4e9c1a60
Create Date: 2026-11-27 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c41f0e2a9d37"
down_revision: str | None = "7b2d4e9c1a60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("roadmap_clinic") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("roadmap_workflow_id")


def downgrade() -> None:
    with op.batch_alter_table("roadmap_clinic") as batch:
        batch.add_column(
            sa.Column(
                "roadmap_workflow_id",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )
