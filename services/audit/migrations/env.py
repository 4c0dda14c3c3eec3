"""Alembic environment of the audit service: only its own tables."""

from services.audit.models import metadata
from services.audit.task_log_models import TaskLogLink
from shared.db import service_metadata
from shared.migrations import run_migrations

run_migrations(service_metadata(*metadata.tables.values(), TaskLogLink))
