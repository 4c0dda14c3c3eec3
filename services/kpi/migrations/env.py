"""Alembic environment of the kpi service: only its own tables."""

from services.kpi.models import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
