"""Alembic environment of the portal service: only its own tables."""

from services.portal.tables import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
