"""clinic calendar

Revision ID: 37b81af105f4
Revises: f0b2c3d4e5a6
Create Date: 2026-12-06 01:49:35.949212
"""

from collections.abc import Sequence

from shared.migrations import add_calendar_columns, drop_calendar_columns

revision: str = "37b81af105f4"
down_revision: str | None = "f0b2c3d4e5a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_calendar_columns("audit_clinic")


def downgrade() -> None:
    drop_calendar_columns("audit_clinic")
