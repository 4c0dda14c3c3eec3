"""clinic calendar

Revision ID: 58fbc136d074
Revises: f7b3c2d8e6a1
Create Date: 2026-12-06 01:49:44.448721
"""

from collections.abc import Sequence

from shared.migrations import add_calendar_columns, drop_calendar_columns

revision: str = "58fbc136d074"
down_revision: str | None = "f7b3c2d8e6a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_calendar_columns("portal_clinic")


def downgrade() -> None:
    drop_calendar_columns("portal_clinic")
