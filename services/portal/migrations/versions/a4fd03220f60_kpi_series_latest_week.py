"""portal_kpi_series: the newest week with a value as columns (the portfolio's one read per clinic)

Revision ID: a4fd03220f60
Revises: ce502102be36
Create Date: 2026-12-06 10:40:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a4fd03220f60"
down_revision: str | None = "ce502102be36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "latest_week",
    "latest_value",
    "latest_sample",
    "latest_baseline",
    "latest_target",
    "latest_progress",
)


def upgrade() -> None:
    with op.batch_alter_table("portal_kpi_series", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("latest_week", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True)
        )
        batch_op.add_column(sa.Column("latest_value", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("latest_sample", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("latest_baseline", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("latest_target", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("latest_progress", sa.Float(), nullable=True))
    # Fill them from the series already kept: [week, value, sample, baseline, target, progress].
    series = sa.table(
        "portal_kpi_series",
        sa.column("clinic_id", sa.Uuid()),
        sa.column("kpi", sa.String()),
        sa.column("recent", sa.JSON()),
        *(sa.column(name) for name in COLUMNS),
    )
    connection = op.get_bind()
    for clinic_id, kpi, recent in connection.execute(
        sa.select(series.c.clinic_id, series.c.kpi, series.c.recent)
    ):
        weeks = json.loads(recent) if isinstance(recent, str) else recent or []
        latest = next((week for week in reversed(weeks) if week[1] is not None), None)
        if latest is None:
            continue
        values = dict(zip(COLUMNS, latest, strict=True)) | {"latest_sample": latest[2] or 0}
        connection.execute(
            series.update().where(series.c.clinic_id == clinic_id, series.c.kpi == kpi).values(**values)
        )


def downgrade() -> None:
    with op.batch_alter_table("portal_kpi_series", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
