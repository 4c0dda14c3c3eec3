"""staff buy-in per plan

Communications sent, training sessions with attendance (pseudonyms), the preparation waiver, the
buy-in survey's rounds and its anonymous answers (five numbers each, nothing else).

Revision ID: buyin_staff_buy_in
Revises: 86d4a9cfb036
Create Date: 2026-11-27 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "buyin_staff_buy_in"
down_revision: str | None = "86d4a9cfb036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "roadmap_buy_in_communication",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", text(length=200), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("kind", text(length=40), nullable=False),
        sa.Column("audiences", sa.JSON(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", text(length=100), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_roadmap_buy_in_communication_plan_id"), "roadmap_buy_in_communication", ["plan_id"]
    )
    op.create_table(
        "roadmap_buy_in_training",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", text(length=200), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("kind", text(length=20), nullable=False),
        sa.Column("status", text(length=20), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("booked_by_notice", text(length=300), nullable=True),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("booked_by_notice"),
    )
    op.create_index(op.f("ix_roadmap_buy_in_training_plan_id"), "roadmap_buy_in_training", ["plan_id"])
    op.create_table(
        "roadmap_buy_in_waiver",
        sa.Column("plan_id", text(length=200), nullable=False),
        sa.Column("reason", text(length=500), nullable=False),
        sa.Column("recorded_by", text(length=100), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id"),
    )
    op.create_table(
        "roadmap_buy_in_survey_round",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", text(length=200), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("stage", text(length=20), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_by", text(length=100), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "stage", name="uq_buy_in_survey_round_plan_stage"),
    )
    op.create_index(
        op.f("ix_roadmap_buy_in_survey_round_plan_id"), "roadmap_buy_in_survey_round", ["plan_id"]
    )
    op.create_table(
        "roadmap_buy_in_survey_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("job_security_worry", sa.Integer(), nullable=False),
        sa.Column("confidence_to_learn", sa.Integer(), nullable=False),
        sa.Column("expected_extra_work", sa.Integer(), nullable=False),
        sa.Column("understanding_why", sa.Integer(), nullable=False),
        sa.Column("leadership_support", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["roadmap_buy_in_survey_round.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_roadmap_buy_in_survey_answer_round_id"), "roadmap_buy_in_survey_answer", ["round_id"]
    )


def downgrade() -> None:
    op.drop_table("roadmap_buy_in_survey_answer")
    op.drop_table("roadmap_buy_in_survey_round")
    op.drop_table("roadmap_buy_in_waiver")
    op.drop_table("roadmap_buy_in_training")
    op.drop_table("roadmap_buy_in_communication")
