"""tenant in every key: the read model's plans, initiatives, notices, buy-in, timelines and staff
keyed by clinic first (tests/unit/test_tenant_keys.py)

Revision ID: c5a25ed228be
Revises: d7a2c5e8f1b3
Create Date: 2026-12-06 10:23:23.846129
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.migrations import add_tenant_column, set_primary_key

revision: str = "c5a25ed228be"
down_revision: str | None = "d7a2c5e8f1b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (its key before, its key now); the clinic_id index each had is led by the new key.
KEYS = {
    "portal_initiative": (["id"], ["clinic_id", "id"]),
    "portal_plan": (["id"], ["clinic_id", "id"]),
    "portal_notice": (["plan_id", "key"], ["clinic_id", "plan_id", "key"]),
    "portal_plan_buy_in": (["plan_id"], ["clinic_id", "plan_id"]),
    "portal_staff": (["id"], ["clinic_id", "id"]),
}
TRANSITION_KEY = ["plan_id", "phase", "changed_at"]


def upgrade() -> None:
    # A plan's timeline takes the plan's clinic.
    add_tenant_column(
        "portal_plan_transition",
        sa.Column("clinic_id", sa.Uuid()),
        parent="portal_plan",
        parent_key="id",
        child_key="plan_id",
    )
    set_primary_key("portal_plan_transition", ["clinic_id", *TRANSITION_KEY])
    for table, (_, key) in KEYS.items():
        set_primary_key(table, key, drop_indexes=(f"ix_{table}_clinic_id",))


def downgrade() -> None:
    for table, (key, _) in KEYS.items():
        set_primary_key(table, key)
        op.create_index(f"ix_{table}_clinic_id", table, ["clinic_id"], unique=False)
    set_primary_key("portal_plan_transition", TRANSITION_KEY)
    with op.batch_alter_table("portal_plan_transition", schema=None) as batch_op:
        batch_op.drop_column("clinic_id")
