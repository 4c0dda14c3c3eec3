"""tenant in every key: prospect invites and leads keyed by officer first
(tests/unit/test_tenant_keys.py)

Revision ID: 1259202e3e06
Revises: 99f811b66085
Create Date: 2026-12-06 10:23:33.267359
"""

from collections.abc import Sequence

from alembic import op

from shared.migrations import set_primary_key

revision: str = "1259202e3e06"
down_revision: str | None = "99f811b66085"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("intake_prospect_invite", "intake_prospect_lead")


def upgrade() -> None:
    for table in TABLES:
        set_primary_key(table, ["officer_id", "id"], drop_indexes=(f"ix_{table}_officer_id",))


def downgrade() -> None:
    for table in TABLES:
        set_primary_key(table, ["id"])
        op.create_index(f"ix_{table}_officer_id", table, ["officer_id"], unique=False)
