"""Alembic environment of the intake service: only its own tables."""

from services.intake.models import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
