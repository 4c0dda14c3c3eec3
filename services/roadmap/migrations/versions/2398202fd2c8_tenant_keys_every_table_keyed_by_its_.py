"""tenant keys: every table keyed by its clinic or officer

Each table's primary key starts with its tenant (the clinic, the officer for the catalogue) and
so does each unique key; a plan's history, waiver and chosen vendor take their plan's or
initiative's clinic, a survey round's links and answers the round's (nothing about who answered).

Revision ID: 2398202fd2c8
Revises: e2a9ac35f42c
Create Date: 2026-12-06 10:24:34.721030
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2398202fd2c8"
down_revision: str | None = "e2a9ac35f42c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL's names for unnamed keys; SQLite's copy of a table is given the same ones, so the
# statements below name the same constraints on both.
NAMES = {
    "pk": "%(table_name)s_pkey",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "uq": "%(table_name)s_%(column_0_name)s_key",
}
# table -> (old primary key, new primary key)
KEYS = {
    "roadmap_initiative": (["id"], ["clinic_id", "id"]),
    "roadmap_plan": (["id"], ["clinic_id", "id"]),
    "roadmap_plan_transition": (["plan_id", "seq"], ["clinic_id", "plan_id", "seq"]),
    "roadmap_plan_notice": (["key"], ["clinic_id", "key"]),
    "roadmap_catalog_entry": (["id"], ["officer_id", "id"]),
    "roadmap_initiative_vendor": (["initiative_id"], ["clinic_id", "initiative_id"]),
    "roadmap_buy_in_training": (["id"], ["clinic_id", "id"]),
    "roadmap_buy_in_waiver": (["plan_id"], ["clinic_id", "plan_id"]),
    "roadmap_buy_in_survey_round": (["id"], ["clinic_id", "id"]),
    "roadmap_buy_in_survey_answer": (["id"], ["clinic_id", "id"]),
}
# table -> the table whose clinic it takes, and the column naming that table's row
CLINIC_FROM = {
    "roadmap_plan_transition": ("roadmap_plan", "plan_id"),
    "roadmap_buy_in_waiver": ("roadmap_plan", "plan_id"),
    "roadmap_initiative_vendor": ("roadmap_initiative", "initiative_id"),
    "roadmap_buy_in_survey_link": ("roadmap_buy_in_survey_round", "round_id"),
    "roadmap_buy_in_survey_answer": ("roadmap_buy_in_survey_round", "round_id"),
}
ROUND_CHILDREN = ("roadmap_buy_in_survey_link", "roadmap_buy_in_survey_answer")
# Indexes on the tenant alone: the primary key starts with it now.
TENANT_INDEXES = {
    "roadmap_initiative": ("ix_roadmap_initiative_clinic_id", "clinic_id"),
    "roadmap_plan": ("ix_roadmap_plan_clinic_id", "clinic_id"),
    "roadmap_catalog_entry": ("ix_roadmap_catalog_entry_officer_id", "officer_id"),
}


def _rekey(table: str, key: list[str]) -> None:
    with op.batch_alter_table(table, naming_convention=NAMES) as batch_op:
        batch_op.drop_constraint(f"{table}_pkey", type_="primary")
        batch_op.create_primary_key(f"{table}_pkey", key)


def upgrade() -> None:
    for table, (parent, column) in CLINIC_FROM.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("clinic_id", sa.Uuid(), nullable=True))
        op.execute(
            f"UPDATE {table} SET clinic_id = "  # noqa: S608 - names from this file only
            f"(SELECT clinic_id FROM {parent} WHERE {parent}.id = {table}.{column})"
        )
        # A row whose plan, initiative or round is gone belongs to no clinic: nothing shows it.
        op.execute(f"DELETE FROM {table} WHERE clinic_id IS NULL")  # noqa: S608
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("clinic_id", existing_type=sa.Uuid(), nullable=False)
    # A round's links and answers name it by (clinic, id) once its key is that.
    for table in ROUND_CHILDREN:
        with op.batch_alter_table(table, naming_convention=NAMES) as batch_op:
            batch_op.drop_constraint(f"{table}_round_id_fkey", type_="foreignkey")
    for table, (_, new) in KEYS.items():
        _rekey(table, new)
    for table, (index, _) in TENANT_INDEXES.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(index)
    with op.batch_alter_table("roadmap_buy_in_survey_round", schema=None) as batch_op:
        batch_op.drop_constraint("uq_buy_in_survey_round_plan_stage", type_="unique")
        batch_op.create_unique_constraint(
            "uq_buy_in_survey_round_plan_stage", ["clinic_id", "plan_id", "stage"]
        )
    with op.batch_alter_table("roadmap_buy_in_training", naming_convention=NAMES) as batch_op:
        batch_op.drop_constraint("roadmap_buy_in_training_booked_by_notice_key", type_="unique")
        batch_op.create_unique_constraint(
            "uq_buy_in_training_booked_by_notice", ["clinic_id", "booked_by_notice"]
        )
    for table in ROUND_CHILDREN:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_foreign_key(
                f"{table}_clinic_id_fkey",
                "roadmap_buy_in_survey_round",
                ["clinic_id", "round_id"],
                ["clinic_id", "id"],
            )


def downgrade() -> None:
    for table in ROUND_CHILDREN:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"{table}_clinic_id_fkey", type_="foreignkey")
    with op.batch_alter_table("roadmap_buy_in_training") as batch_op:
        batch_op.drop_constraint("uq_buy_in_training_booked_by_notice", type_="unique")
        batch_op.create_unique_constraint(
            "roadmap_buy_in_training_booked_by_notice_key", ["booked_by_notice"]
        )
    with op.batch_alter_table("roadmap_buy_in_survey_round") as batch_op:
        batch_op.drop_constraint("uq_buy_in_survey_round_plan_stage", type_="unique")
        batch_op.create_unique_constraint("uq_buy_in_survey_round_plan_stage", ["plan_id", "stage"])
    for table, (index, column) in TENANT_INDEXES.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_index(index, [column], unique=False)
    for table, (old, _) in KEYS.items():
        _rekey(table, old)
    for table in ROUND_CHILDREN:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_foreign_key(
                f"{table}_round_id_fkey", "roadmap_buy_in_survey_round", ["round_id"], ["id"]
            )
    for table in CLINIC_FROM:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("clinic_id")
