"""Every service's migrations: its own chain on the shared outbox/inbox branch, matching its models,
and `make migration` (deploy/new_migration.py) writing the next revision where it belongs."""

import importlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String, inspect
from sqlalchemy.engine import Connection

from deploy import new_migration
from services.intake import models as intake_models
from shared import db, migrations
from shared.inbox import InboxMessage
from shared.leases import Lease
from shared.outbox import OutboxMessage
from shared.rate_counts import RateCount

ROOT = Path(__file__).parents[2]
SERVICES = ("intake", "audit", "roadmap", "kpi", "portal")
Read = TypeVar("Read")


def scripts(migrations_dir: Path) -> ScriptDirectory:
    return ScriptDirectory.from_config(migrations.alembic_config(migrations_dir, "sqlite://"))


def copy_of(service: str, services: Path) -> Path:
    """A scratch copy of a service's migrations, for new_migration to write into."""
    target = services / service / "migrations"
    shutil.copytree(ROOT / "services" / service / "migrations", target)
    return target


def test_the_shared_branch_holds_the_outbox_inbox_lease_and_rate_count_tables() -> None:
    shared_tables = (OutboxMessage, InboxMessage, Lease, RateCount)
    assert {table.__tablename__ for table in shared_tables} == migrations.SHARED_TABLES
    every = scripts(ROOT / "services" / "intake" / "migrations").walk_revisions()
    shared = [rev for rev in every if Path(rev.path).parent == migrations.SHARED_VERSIONS]
    assert shared
    assert all(rev.branch_labels == {migrations.SHARED_BRANCH} for rev in shared)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_chain_is_labelled_with_the_service_and_starts_on_the_shared_branch(
    service: str,
) -> None:
    migrations_dir = ROOT / "services" / service / "migrations"
    own = [
        rev
        for rev in scripts(migrations_dir).walk_revisions()
        if Path(rev.path).parent.parent == migrations_dir
    ]
    assert own
    assert all(rev.branch_labels == {service} for rev in own)
    (root,) = [rev for rev in own if rev.down_revision is None]
    assert root.dependencies == migrations.SHARED_BRANCH
    # One head for the service: `make migration SERVICE=...` continues it.
    assert len(scripts(migrations_dir).get_revisions(f"{service}@heads")) == 1


def primary_keys(connection: Connection) -> dict[str, list[str]]:
    """Each table's primary key columns as the database has them (autogenerate compares none)."""
    inspector = inspect(connection)
    return {
        table: inspector.get_pk_constraint(table)["constrained_columns"]
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


def model_primary_keys(metadata: MetaData) -> dict[str, list[str]]:
    return {
        name: [column.name for column in table.primary_key.columns] for name, table in metadata.tables.items()
    }


def metadata_of(service: str) -> MetaData:
    tables = (
        f"services.{service}.tables" if service in ("portal", "roadmap") else f"services.{service}.models"
    )
    return cast(MetaData, importlib.import_module(tables).metadata)


async def read_migrated(service: str, path: Path, read: Callable[[Connection], Read]) -> Read:
    """Build the service's tables in a new SQLite database by its migrations, and read it."""
    url = f"sqlite+aiosqlite:///{path}"
    await db.migrate(url, ROOT / "services" / service / "migrations")
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(read)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_give_each_table_the_models_primary_key(service: str, tmp_path: Path) -> None:
    """The tenant first in each key (tests/unit/test_tenant_keys.py) holds in the database too."""
    keys = await read_migrated(service, tmp_path / "keys.db", primary_keys)
    assert keys == model_primary_keys(metadata_of(service))


@pytest.mark.parametrize("service", SERVICES)
async def test_clinic_calendars_default_on_the_database_too(service: str, tmp_path: Path) -> None:
    """A clinic row written without a calendar (SQL, a data migration) still has the model's one."""

    def calendar_defaults(connection: Connection) -> dict[str, dict[str, object]]:
        inspector = inspect(connection)
        return {
            table: {column["name"]: column["default"] for column in inspector.get_columns(table)}
            for table in inspector.get_table_names()
            if "open_days" in {column["name"] for column in inspector.get_columns(table)}
        }

    tables = await read_migrated(service, tmp_path / "calendar.db", calendar_defaults)
    assert len(tables) == 1, tables  # one clinic table per service
    (defaults,) = tables.values()
    assert defaults["time_zone"] == "'UTC'"
    assert defaults["open_days"] == """'["mon", "tue", "wed", "thu", "fri"]'"""
    assert defaults["holidays"] == "''"
    assert defaults["closures"] == "'[]'"


@pytest.mark.parametrize("service", SERVICES)
def test_a_new_revision_continues_the_service_chain_without_the_shared_tables(
    service: str, tmp_path: Path
) -> None:
    migrations_dir = copy_of(service, tmp_path / "services")
    (head,) = scripts(migrations_dir).get_revisions(f"{service}@head")

    written = new_migration.new_revision(service, "nothing changed", services=tmp_path / "services")

    assert written.parent == migrations_dir / "versions"
    # The models and the migrations agree, and the shared tables are not the service's to create.
    assert "op." not in written.read_text()
    (new_head,) = scripts(migrations_dir).get_revisions(f"{service}@head")
    assert Path(new_head.path) == written
    assert new_head.down_revision == head.revision


def test_a_service_first_revision_depends_on_the_shared_branch(tmp_path: Path) -> None:
    migrations_dir = copy_of("audit", tmp_path / "services")
    for revision in (migrations_dir / "versions").glob("*.py"):
        revision.unlink()

    written = new_migration.new_revision("audit", "initial tables", services=tmp_path / "services")

    text = written.read_text()
    assert 'op.create_table(\n        "audit_window"' in text
    assert '"outbox"' not in text and '"inbox"' not in text
    (initial,) = scripts(migrations_dir).get_revisions("audit@head")
    assert (initial.down_revision, initial.dependencies) == (None, migrations.SHARED_BRANCH)


def test_a_change_to_the_shared_tables_is_written_to_the_shared_branch_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared_versions = tmp_path / "migration_versions"
    shutil.copytree(migrations.SHARED_VERSIONS, shared_versions)
    monkeypatch.setattr(migrations, "SHARED_VERSIONS", shared_versions)
    monkeypatch.setattr(new_migration, "SHARED_VERSIONS", shared_versions)
    service = new_migration.SHARED_TABLES_HELD_BY
    migrations_dir = copy_of(service, tmp_path / "services")
    (shared_head,) = scripts(migrations_dir).get_revisions("shared@head")
    # The models change: a column on the outbox (shared) and one on the service's clinics.
    changed = MetaData()
    for table in intake_models.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["outbox"].append_column(Column("partition_key", String(length=40), nullable=True))
    changed.tables["clinic"].append_column(Column("nickname", String(length=40), nullable=True))
    monkeypatch.setattr(intake_models, "metadata", changed)

    own = new_migration.new_revision(service, "nickname", services=tmp_path / "services").read_text()
    shared = new_migration.new_revision("shared", "partition key", services=tmp_path / "services")

    assert "nickname" in own and "partition_key" not in own
    assert shared.parent == shared_versions
    assert "partition_key" in shared.read_text() and "nickname" not in shared.read_text()
    (new_head,) = scripts(migrations_dir).get_revisions("shared@head")
    assert new_head.down_revision == shared_head.revision
