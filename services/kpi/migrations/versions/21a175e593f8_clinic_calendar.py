"""clinic calendar

Revision ID: 21a175e593f8
Revises: c5a1e7f03b22
Create Date: 2026-12-06 01:44:44.141014
"""

from collections.abc import Sequence

from shared.migrations import add_calendar_columns, drop_calendar_columns

revision: str = "21a175e593f8"
down_revision: str | None = "c5a1e7f03b22"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_calendar_columns("kpi_clinic")


def downgrade() -> None:
    drop_calendar_columns("kpi_clinic")
