"""Alembic environment of the roadmap service: only its own tables."""

from services.roadmap.tables import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
