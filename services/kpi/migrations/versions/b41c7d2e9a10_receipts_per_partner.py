"""partner event receipts keyed by (partner, event id): each partner's ids are its own

Revision ID: b41c7d2e9a10
Revises: 8e60ba5a0f79
Create Date: 2026-11-27 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "b41c7d2e9a10"
down_revision: str | None = "8e60ba5a0f79"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _receipts(name: str, *primary_key: str) -> None:
    op.create_table(
        name,
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint(*primary_key),
    )


def upgrade() -> None:
    # A new table rather than a changed key: SQLite cannot alter a primary key in place.
    _receipts("kpi_partner_event_receipt_new", "partner_id", "event_id")
    op.execute(
        "INSERT INTO kpi_partner_event_receipt_new (partner_id, event_id, received_at) "
        "SELECT partner_id, event_id, received_at FROM kpi_partner_event_receipt"
    )
    with op.batch_alter_table("kpi_partner_event_receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpi_partner_event_receipt_partner_id"))
    op.drop_table("kpi_partner_event_receipt")
    op.rename_table("kpi_partner_event_receipt_new", "kpi_partner_event_receipt")


def downgrade() -> None:
    # Back to one receipt per event id: where two partners used the same id, the first stays.
    _receipts("kpi_partner_event_receipt_old", "event_id")
    op.execute(
        "INSERT INTO kpi_partner_event_receipt_old (event_id, partner_id, received_at) "
        "SELECT event_id, MIN(partner_id), MIN(received_at) FROM kpi_partner_event_receipt GROUP BY event_id"
    )
    op.drop_table("kpi_partner_event_receipt")
    op.rename_table("kpi_partner_event_receipt_old", "kpi_partner_event_receipt")
    with op.batch_alter_table("kpi_partner_event_receipt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kpi_partner_event_receipt_partner_id"), ["partner_id"], unique=False
        )
