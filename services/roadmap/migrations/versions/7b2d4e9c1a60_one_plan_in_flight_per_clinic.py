"""one plan in flight per clinic

Revision ID: 7b2d4e9c1a60
Revises: 58a3d8611ce9
Create Date: 2026-11-25 02:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7b2d4e9c1a60"
down_revision: str | None = "58a3d8611ce9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The phases before sustain, as in services/roadmap/rules.py when this revision was written.
IN_FLIGHT = sa.text("phase IN ('baseline', 'evaluation', 'pilot', 'preparation', 'rollout')")


def upgrade() -> None:
    op.create_index(
        "uq_roadmap_plan_in_flight_per_clinic",
        "roadmap_plan",
        ["clinic_id"],
        unique=True,
        sqlite_where=IN_FLIGHT,
        postgresql_where=IN_FLIGHT,
    )


def downgrade() -> None:
    op.drop_index("uq_roadmap_plan_in_flight_per_clinic", table_name="roadmap_plan")
