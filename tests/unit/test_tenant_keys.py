"""Every table carries its tenant key in its primary key and in each unique key, so that a move to
a sharded PostgreSQL (Citus: a table distributed by that column) needs no schema change.

The tenant is the clinic for a clinic's data (`clinic_id`: 2,500 clinics spread over the
workers) and the officer for the officer's own (`officer_id`: sessions, partners, catalogue);
a clinic's or an officer's own row is keyed by its id. Tables that are not tenant data, and keys
that must be found before the tenant is known, are listed with why. Every other table is converted.
"""

import importlib

from sqlalchemy import Table, UniqueConstraint

from tests.unit.test_migrations import SERVICES

TENANT_COLUMNS = frozenset({"clinic_id", "officer_id"})

# The tenants' own tables: their primary key `id` is the clinic's or the officer's id.
TENANT_TABLES = frozenset(
    {
        "audit_clinic",
        "clinic",
        "kpi_clinic",
        "portal_clinic",
        "roadmap_clinic",
        "intake_officer",
        "portal_officer",
    }
)

NOT_TENANT_DATA = {
    "outbox": "the transactional outbox: rows live seconds, relayed by any replica (a Citus reference "
    "or local table per node)",
    "inbox": "consumed event ids, per consumer: an event is not a tenant's until it is parsed",
    "leases": "which replica runs a periodic job: one row per job, none per tenant",
    "rate_counts": "rate-limit counters keyed by client or address, before anyone signs in",
}

# Unique keys looked up before the tenant is known; each table is small (a row per officer,
# partner or link) and would be a Citus reference table.
FOUND_BEFORE_THE_TENANT = {
    ("intake_officer", ("email",)): "sign-in by email: the address is all a request has",
    ("kpi_partner", ("api_key_hash",)): "a partner's request names only its API key",
    ("portal_session", ("id_hash",)): "a session cookie is all a request has",
    ("portal_spent_sign_in", ("jti",)): "a sign-in link's token is all a request has",
    ("roadmap_buy_in_survey_link", ("token_hash",)): "a staff survey link is anonymous by design",
}


def every_table() -> dict[str, Table]:
    """Each service's tables, from the metadata its migrations are generated from."""
    tables: dict[str, Table] = {}
    for service in SERVICES:
        env = (
            f"services.{service}.tables" if service in ("portal", "roadmap") else f"services.{service}.models"
        )
        tables.update(importlib.import_module(env).metadata.tables)
    return tables


def keys_without_the_tenant(table: Table) -> list[tuple[str, ...]]:
    """The table's primary and unique keys (constraints and indexes) that lack a tenant column."""
    keys = [tuple(column.name for column in table.primary_key.columns)]
    keys += [
        tuple(column.name for column in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    keys += [tuple(column.name for column in index.columns) for index in table.indexes if index.unique]
    missing = [key for key in keys if not TENANT_COLUMNS & set(key)]
    if table.name in TENANT_TABLES:
        missing = [key for key in missing if key != ("id",)]
    return [key for key in missing if (table.name, key) not in FOUND_BEFORE_THE_TENANT]


def test_every_table_keys_its_rows_by_tenant() -> None:
    failing = {
        name
        for name, table in every_table().items()
        if name not in NOT_TENANT_DATA and keys_without_the_tenant(table)
    }
    assert not failing, (
        f"tables without the tenant in a key (a session.get by id becomes (tenant, id)): {sorted(failing)}"
    )


def test_the_lists_name_real_tables() -> None:
    tables = every_table()
    named = {*TENANT_TABLES, *NOT_TENANT_DATA, *(table for table, _ in FOUND_BEFORE_THE_TENANT)}
    assert named <= set(tables)
    assert all(TENANT_COLUMNS.isdisjoint(key) for _, key in FOUND_BEFORE_THE_TENANT)
