"""clinic calendar

Revision ID: f8aaf2cc9308
Revises: strategy_a1c9
Create Date: 2026-12-06 01:52:29.036675
"""

from collections.abc import Sequence

from shared.migrations import add_calendar_columns, drop_calendar_columns

revision: str = "f8aaf2cc9308"
down_revision: str | None = "strategy_a1c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_calendar_columns("roadmap_clinic")


def downgrade() -> None:
    drop_calendar_columns("roadmap_clinic")
