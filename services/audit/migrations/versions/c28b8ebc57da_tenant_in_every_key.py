"""tenant in every key: windows, entries and imports keyed by clinic first, task-log links by
officer first (tests/unit/test_tenant_keys.py)

Revision ID: c28b8ebc57da
Revises: faf8cbed5283
Create Date: 2026-12-06 10:23:28.285508
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.migrations import add_tenant_column, set_primary_key

revision: str = "c28b8ebc57da"
down_revision: str | None = "faf8cbed5283"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An audit's entries and imports take the audit's clinic.
    for table in ("audit_entry", "audit_import"):
        add_tenant_column(
            table,
            sa.Column("clinic_id", sa.Uuid()),
            parent="audit_window",
            parent_key="id",
            child_key="audit_id",
        )
        set_primary_key(table, ["clinic_id", "id"])
    if op.get_bind().dialect.name == "postgresql":
        # Entries are numbered per clinic by the service now, not by the table's sequence.
        op.alter_column("audit_entry", "id", existing_type=sa.Integer(), server_default=None)
    set_primary_key("audit_window", ["clinic_id", "id"], drop_indexes=("ix_audit_window_clinic_id",))
    set_primary_key(
        "audit_task_log_link", ["officer_id", "id"], drop_indexes=("ix_audit_task_log_link_officer_id",)
    )


def downgrade() -> None:
    set_primary_key("audit_task_log_link", ["id"])
    op.create_index("ix_audit_task_log_link_officer_id", "audit_task_log_link", ["officer_id"], unique=False)
    set_primary_key("audit_window", ["id"])
    op.create_index("ix_audit_window_clinic_id", "audit_window", ["clinic_id"], unique=False)
    for table in ("audit_import", "audit_entry"):
        # Entry ids numbered per clinic since may repeat across clinics: the old key refuses them
        # here, and the downgrade stops rather than lose an entry.
        set_primary_key(table, ["id"])
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("clinic_id")
    if op.get_bind().dialect.name == "postgresql":
        # Back to the table's own sequence, past the ids the service gave.
        op.execute(
            "SELECT setval('audit_entry_id_seq', COALESCE((SELECT max(id) FROM audit_entry), 0) + 1, false)"
        )
        op.alter_column(
            "audit_entry",
            "id",
            existing_type=sa.Integer(),
            server_default=sa.text("nextval('audit_entry_id_seq')"),
        )
