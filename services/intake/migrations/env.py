"""Alembic environment of the intake service: only its own tables."""

from services.intake.models import metadata
from services.intake.prospect_models import PROSPECT_TABLES
from shared.db import service_metadata
from shared.migrations import run_migrations

run_migrations(service_metadata(*metadata.tables.values(), *PROSPECT_TABLES))
