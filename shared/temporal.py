"""Connecting to Temporal, traced so workflow spans join the trace that started them."""

import asyncio
import contextlib
import dataclasses
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.converter import DataConverter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode, TLSConfig
from temporalio.worker import Worker

from shared import db
from shared.db import SessionFactory
from shared.settings import SharedSettings
from shared.telemetry import install_global_tracer_provider, trace_database
from shared.temporal_codec import codec_from_settings
from shared.temporal_token import initial_token, keep_token_fresh

log = logging.getLogger(__name__)

# The answers of a server (or a worker) that is not there now, as opposed to a request it refused.
UNREACHABLE = frozenset({RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED})


# What the Temporal UI can list plans by (`temporal workflow list --query "FaioPlanPhase='pilot'"`).
CLINIC_ID = SearchAttributeKey.for_keyword("FaioClinicId")
OFFICER_ID = SearchAttributeKey.for_keyword("FaioOfficerId")
PLAN_PHASE = SearchAttributeKey.for_keyword("FaioPlanPhase")
PLAN_KPI = SearchAttributeKey.for_keyword("FaioKpi")
SEARCH_ATTRIBUTES: tuple[SearchAttributeKey[str], ...] = (CLINIC_ID, OFFICER_ID, PLAN_PHASE, PLAN_KPI)
# The same, as the dev server's start-up flags (deploy/local/Procfile spells them out too).
DEV_SERVER_SEARCH_ATTRIBUTES: tuple[str, ...] = tuple(
    arg for key in SEARCH_ATTRIBUTES for arg in ("--search-attribute", f"{key.name}=Keyword")
)


async def register_search_attributes(client: Client, namespace: str) -> None:
    """Make sure the namespace knows faio's search attributes (idempotent; any server)."""
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    missing = {
        key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
        for key in SEARCH_ATTRIBUTES
        if key.name not in existing.custom_attributes
    }
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(search_attributes=missing, namespace=namespace)
            )
        except RPCError as error:
            if error.status == RPCStatusCode.PERMISSION_DENIED:
                # Under the authorizer only an admin adds them: compose's temporal-init does.
                raise RuntimeError(
                    f"search attributes {', '.join(sorted(missing))} are missing from namespace "
                    f"{namespace} and this process's Temporal token may not add them: run "
                    "deploy/temporal/init.sh (compose: temporal-init) as an admin"
                ) from error
            if error.status != RPCStatusCode.ALREADY_EXISTS:  # another worker registered them first
                raise


class TemporalUnavailable(Exception):
    """The workflow engine, or the worker that must answer, does not answer now: retry shortly.

    Not a domain error: the request was fine. shared/app.py answers it with 503.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@asynccontextmanager
async def unavailable_when_unreachable(what_happened: str) -> AsyncIterator[None]:
    """Turn "Temporal is not there" into TemporalUnavailable, saying what it meant for the caller."""
    try:
        yield
    except RPCError as error:
        if error.status not in UNREACHABLE:
            raise
        raise TemporalUnavailable(
            f"the workflow engine (Temporal) is not reachable: {what_happened}; try again shortly"
        ) from error


def tls_config(settings: SharedSettings) -> TLSConfig | None:
    """Mutual TLS to the Temporal frontend when a client certificate is configured, else None."""
    if not settings.temporal_tls_client_cert:
        return None
    if not settings.temporal_tls_client_key:
        raise ValueError("FAIO_TEMPORAL_TLS_CLIENT_KEY must be set with FAIO_TEMPORAL_TLS_CLIENT_CERT")
    return TLSConfig(
        # Empty: the system's trusted CAs verify the server.
        server_root_ca_cert=Path(settings.temporal_tls_ca_cert).read_bytes()
        if settings.temporal_tls_ca_cert
        else None,
        client_cert=Path(settings.temporal_tls_client_cert).read_bytes(),
        client_private_key=Path(settings.temporal_tls_client_key).read_bytes(),
        domain=settings.temporal_tls_server_name or None,
    )


def data_converter(settings: SharedSettings) -> DataConverter:
    """The default converter, with the encryption codec when one is configured."""
    codec = codec_from_settings(settings)
    if codec is None:
        return DataConverter.default
    return dataclasses.replace(DataConverter.default, payload_codec=codec)


async def connect_temporal(
    settings: SharedSettings,
    tracer_provider: TracerProvider,
    *,
    retry_seconds: float = 2.0,
    runtime: Runtime | None = None,
) -> Client:
    """A Temporal client, waiting for the server if it is not up yet.

    Every client and worker of faio comes from here, so each gets the same payload codec (a
    worker uses its client's), the same TLS identity and the same bearer token (keep it fresh
    with `keep_token_fresh`).
    """
    interceptor = TracingInterceptor(tracer_provider.get_tracer("temporalio"))
    # Read once: a bad key, a missing certificate or an expired token fails at start, not on the
    # first workflow.
    converter = data_converter(settings)
    tls = tls_config(settings)
    api_key = initial_token(settings)
    while True:
        try:
            return await Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                interceptors=[interceptor],
                runtime=runtime,
                data_converter=converter,
                tls=tls or False,  # never the SDK's implicit TLS for an api_key
                api_key=api_key,
            )
        except RuntimeError as error:  # the SDK raises RuntimeError when the server is unreachable
            log.warning("Temporal not reachable at %s (%s); retrying", settings.temporal_address, error)
            await asyncio.sleep(retry_seconds)


class TemporalConnection:
    """A service's Temporal client, connected in the background so the service starts without it.

    HTTP routes and Kafka handlers ask for the client when they need it and wait a bounded time.
    """

    def __init__(self) -> None:
        self._client: Client | None = None
        self._ready = asyncio.Event()

    def use(self, client: Client) -> None:
        self._client = client
        self._ready.set()

    async def client(self, *, within: float) -> Client:
        """The client; TimeoutError if it is not connected within `within` seconds."""
        await asyncio.wait_for(self._ready.wait(), within)
        assert self._client is not None
        return self._client

    @asynccontextmanager
    async def connecting(
        self, settings: SharedSettings, tracer_provider: TracerProvider
    ) -> AsyncIterator[None]:
        """For an app's lifespan: keep connecting in the background until it works, or the app stops."""

        initial_token(settings)  # an expired or missing token stops the app here, naming the file

        async def connect() -> None:
            client = await connect_temporal(settings, tracer_provider)
            self.use(client)
            await keep_token_fresh(client, settings)

        task = asyncio.create_task(connect())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def run_worker(
    service_settings: SharedSettings,
    *,
    migrations_dir: Path,
    create_worker: Callable[[Client, SessionFactory], Worker],
) -> None:
    """Run a service's Temporal worker as a process of its own until SIGINT/SIGTERM.

    The worker writes to its service's database (the service's outbox relay publishes what its
    activities stage), so it migrates that database too: either process may start first.
    Shutdown is graceful: running activities get the worker's grace period, and workflows
    simply continue on the next worker that starts.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    name = f"{service_settings.service_name} worker"
    settings = service_settings.model_copy(update={"service_name": f"{service_settings.service_name}-worker"})
    tracer_provider = install_global_tracer_provider(settings)
    database_url = service_settings.resolved_database_url
    await db.migrate(database_url, migrations_dir)
    engine = db.create_engine(database_url)
    trace_database(engine, tracer_provider)
    # The SDK's own worker metrics (task slots, poll and task latencies, failures) for Prometheus.
    metrics = Runtime(
        telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=settings.worker_metrics_address))
    )
    client = await connect_temporal(settings, tracer_provider, runtime=metrics)
    await register_search_attributes(client, settings.temporal_namespace)
    worker = create_worker(client, db.create_session_factory(engine))
    # The worker polls through its client: a re-issued token reaches it too.
    token_refresh = asyncio.create_task(keep_token_fresh(client, settings))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    async with worker:
        log.info(
            "%s polling task queue %s; metrics on http://%s/metrics",
            name,
            worker.task_queue,
            settings.worker_metrics_address,
        )
        await stop.wait()
        log.info("%s shutting down", name)
    token_refresh.cancel()
    await engine.dispose()
    tracer_provider.force_flush()
