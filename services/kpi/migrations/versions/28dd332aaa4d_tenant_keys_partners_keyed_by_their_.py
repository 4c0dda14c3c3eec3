"""tenant keys: partners keyed by their officer

A partner's primary key starts with its officer, and so do those of its clinic links, its
deliveries and its last events (each takes the partner's officer); a link names its partner by
(officer, id). The API key stays unique on its own: a request names only the key.

Revision ID: 28dd332aaa4d
Revises: b60741171458
Create Date: 2026-12-06 10:24:36.839682
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "28dd332aaa4d"
down_revision: str | None = "b60741171458"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL's names for unnamed keys; SQLite's copy of a table is given the same ones, so the
# statements below name the same constraints on both.
NAMES = {"pk": "%(table_name)s_pkey", "fk": "%(table_name)s_%(column_0_name)s_fkey"}
# table -> (old primary key, new primary key)
KEYS = {
    "kpi_partner": (["id"], ["officer_id", "id"]),
    "kpi_partner_clinic": (["partner_id", "clinic_id"], ["officer_id", "partner_id", "clinic_id"]),
    "kpi_partner_delivery": (["id"], ["officer_id", "id"]),
    "kpi_partner_last_event": (["partner_id", "event_type"], ["officer_id", "partner_id", "event_type"]),
}
PARTNERS_ROWS = ("kpi_partner_clinic", "kpi_partner_delivery", "kpi_partner_last_event")
OFFICER = sqlmodel.sql.sqltypes.AutoString(length=100)


def _rekey(table: str, key: list[str]) -> None:
    with op.batch_alter_table(table, naming_convention=NAMES) as batch_op:
        batch_op.drop_constraint(f"{table}_pkey", type_="primary")
        batch_op.create_primary_key(f"{table}_pkey", key)


def upgrade() -> None:
    for table in PARTNERS_ROWS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("officer_id", OFFICER, nullable=True))
        op.execute(
            f"UPDATE {table} SET officer_id = "  # noqa: S608 - names from this file only
            f"(SELECT officer_id FROM kpi_partner WHERE kpi_partner.id = {table}.partner_id)"
        )
        # A row of a partner that is gone belongs to no officer: nothing shows it.
        op.execute(f"DELETE FROM {table} WHERE officer_id IS NULL")  # noqa: S608
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("officer_id", existing_type=OFFICER, nullable=False)
    with op.batch_alter_table("kpi_partner_clinic", naming_convention=NAMES) as batch_op:
        batch_op.drop_constraint("kpi_partner_clinic_partner_id_fkey", type_="foreignkey")
    for table, (_, new) in KEYS.items():
        _rekey(table, new)
    with op.batch_alter_table("kpi_partner") as batch_op:
        batch_op.drop_index("ix_kpi_partner_officer_id")  # the primary key starts with it now
    with op.batch_alter_table("kpi_partner_clinic") as batch_op:
        batch_op.create_foreign_key(
            "kpi_partner_clinic_officer_id_fkey",
            "kpi_partner",
            ["officer_id", "partner_id"],
            ["officer_id", "id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("kpi_partner_clinic") as batch_op:
        batch_op.drop_constraint("kpi_partner_clinic_officer_id_fkey", type_="foreignkey")
    with op.batch_alter_table("kpi_partner") as batch_op:
        batch_op.create_index("ix_kpi_partner_officer_id", ["officer_id"], unique=False)
    for table, (old, _) in KEYS.items():
        _rekey(table, old)
    with op.batch_alter_table("kpi_partner_clinic") as batch_op:
        batch_op.create_foreign_key(
            "kpi_partner_clinic_partner_id_fkey", "kpi_partner", ["partner_id"], ["id"]
        )
    for table in PARTNERS_ROWS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("officer_id")
