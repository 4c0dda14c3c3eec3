"""What every faio service process has in common: database, broker, outbox relay, health, docs.

A service's own app.py describes only what is its own (HTTP routes, Kafka handlers, tables)
and hands it to `create_service_app`.
"""

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi_offline import FastAPIOffline
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.specification import AsyncAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from prometheus_fastapi_instrumentator import Instrumentator
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from shared import db
from shared.broker import create_broker, ensure_topics, kafka_client_options
from shared.docs import ASYNCAPI_STATIC_URL, DOCS_STATIC_URL, asyncapi_asset_path, asyncapi_html
from shared.errors import Conflict, DomainError, NotFound, Refused
from shared.http_edge import BodyLimit, BrowserHeaders, json_content_type
from shared.metrics import ServiceMetrics
from shared.outbox import OutboxRelay
from shared.public_links import RateLimit, limit_public_routes, redact_tokens
from shared.rate_counts import DatabaseStorage
from shared.revocations import RevokedTokens
from shared.settings import SharedSettings
from shared.telemetry import install_global_tracer_provider, trace_database
from shared.temporal import TemporalConnection, TemporalUnavailable

log = logging.getLogger(__name__)

BROKER_RETRY_SECONDS = 2.0


@dataclass
class ServiceRuntime:
    """The parts a service's routes and handlers are given."""

    settings: SharedSettings
    engine: AsyncEngine
    sessions: db.SessionFactory
    broker: KafkaBroker
    tracer_provider: TracerProvider
    metrics: ServiceMetrics
    # Connected only by services that run workflows (`temporal.connecting` in their lifespan).
    temporal: TemporalConnection = field(default_factory=TemporalConnection)
    # Awaited when the app stops, before the broker: work that must finish while it can still
    # commit offsets (a batch of events being written), registered with `on_stop`.
    stopping: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def on_stop(self, finish: Callable[[], Awaitable[None]]) -> None:
        """Have the app await `finish` when it stops, before the broker does."""
        self.stopping.append(finish)


GC_FIRST_GENERATION_THRESHOLD = 20_000  # Python's default is 700 allocations


def create_runtime(settings: SharedSettings, tracer_provider: TracerProvider | None = None) -> ServiceRuntime:
    """Engine, sessions and broker for one service; nothing connects until the app starts."""
    provider = tracer_provider or install_global_tracer_provider(settings)
    engine = db.create_engine(settings.resolved_database_url)
    trace_database(engine, provider)
    metrics = ServiceMetrics(settings.service_name)
    return ServiceRuntime(
        settings=settings,
        engine=engine,
        sessions=db.create_session_factory(engine),
        broker=create_broker(settings, provider, metrics.registry),
        tracer_provider=provider,
        metrics=metrics,
    )


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

TEMPORAL_WAIT_SECONDS = 5.0


async def get_temporal(request: Request) -> Client:
    """The app's Temporal client (`app.state.temporal`), or 503 while it is not connected."""
    connection: TemporalConnection = request.app.state.temporal
    try:
        return await connection.client(within=TEMPORAL_WAIT_SECONDS)
    except TimeoutError as error:
        raise TemporalUnavailable(
            "the workflow engine (Temporal) is not reachable yet; try again shortly"
        ) from error


TemporalDep = Annotated[Client, Depends(get_temporal)]


async def _connect_broker(runtime: ServiceRuntime, connected: asyncio.Event) -> None:
    """Start the broker, retrying while Kafka is unreachable: the HTTP API works meanwhile."""
    while True:
        try:
            if runtime.settings.kafka_create_topics:  # else an admin job created them (deploy/kafka)
                await ensure_topics(
                    runtime.settings.kafka_bootstrap_servers,
                    client_options=kafka_client_options(runtime.settings),
                )
            await runtime.broker.start()
        except Exception as error:  # noqa: BLE001 - Kafka not up yet; keep trying
            log.warning("Kafka not reachable (%s); retrying in %ss", error, BROKER_RETRY_SECONDS)
            with contextlib.suppress(Exception):
                await runtime.broker.stop()
            await asyncio.sleep(BROKER_RETRY_SECONDS)
        else:
            connected.set()
            return


@functools.cache  # once per process: freezing again would pin whatever a later app left behind
def settle_garbage_collector() -> None:
    """Tune the cyclic collector for a serving process; the app's lifespan calls it at start-up.

    Everything imported and built so far lives as long as the process: frozen, the cyclic
    collector stops rescanning it on every pass, and a higher first threshold makes passes
    rarer while a request builds thousands of short-lived objects: the portfolio page with
    1,000 clinics went from p95 315-327 ms to 186-196 ms (tests/bench/bench_portal.py).
    """
    gc.freeze()
    gc.set_threshold(GC_FIRST_GENERATION_THRESHOLD, *gc.get_threshold()[1:])


def create_service_app(
    *,
    runtime: ServiceRuntime,
    title: str,
    description: str,
    migrations_dir: Path,
    http_routers: Sequence[APIRouter] = (),
    kafka_router: KafkaRouter | None = None,
    extra_lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    body_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """A FastAPI app with the service's routes and handlers, plus health, readiness and docs.

    `body_limits` maps a path ending (":import") to the largest body it takes, for routes that
    accept more than `settings.max_request_bytes`.
    """
    settings = runtime.settings
    body_limits = dict(body_limits or {})
    if kafka_router is not None:
        runtime.broker.include_router(kafka_router)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settle_garbage_collector()  # the process starts serving (uvicorn runs the lifespan once)
        await db.migrate(settings.resolved_database_url, migrations_dir)
        connected = asyncio.Event()
        app.state.broker_connected = connected
        relay = OutboxRelay(
            sessions=runtime.sessions, broker=runtime.broker, poll_seconds=settings.outbox_poll_seconds
        )
        tasks = [asyncio.create_task(_connect_broker(runtime, connected))]

        async def relay_when_connected() -> None:
            await connected.wait()
            await relay.run()

        tasks.append(asyncio.create_task(relay_when_connected()))
        tasks.append(asyncio.create_task(app.state.rate_counts.prune_every_period()))  # ended windows
        revoked: RevokedTokens = app.state.revoked_tokens
        if app.state.officer_check == revoked.check:  # intake checks its own officer table instead
            tasks.append(
                asyncio.create_task(
                    revoked.follow(settings.kafka_bootstrap_servers, **kafka_client_options(settings))
                )
            )
        try:
            if extra_lifespan is None:
                yield
            else:
                async with extra_lifespan(app):
                    yield
        finally:
            for finish in runtime.stopping:
                await finish()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await runtime.broker.stop()
            await runtime.engine.dispose()
            runtime.tracer_provider.force_flush()

    # Swagger UI and Redoc from files the service serves itself: clinics' networks may have no internet.
    app = FastAPIOffline(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        static_url=DOCS_STATIC_URL,
        dependencies=[Depends(json_content_type), Depends(limit_public_routes)],
    )
    app.state.runtime = runtime
    # Rate-limit counts live in the service's database, so its replicas count against one limit.
    app.state.rate_counts = DatabaseStorage(runtime.sessions)
    app.state.public_limit = RateLimit(settings.public_requests_per_client, scope="public-routes")
    # Revoked tokens are refused everywhere: from intake's revocation events (a service may replace it).
    app.state.revoked_tokens = RevokedTokens()
    app.state.officer_check = app.state.revoked_tokens.check
    install_error_handlers(app)
    for router in http_routers:
        app.include_router(router)
    app.include_router(_operations_router(runtime, title))

    def max_body_bytes(path: str) -> int:
        return next(
            (limit for suffix, limit in body_limits.items() if path.endswith(suffix)),
            settings.max_request_bytes,
        )

    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(BrowserHeaders)
    if settings.trusted_proxies:  # outermost: limits and logs see the client, never a forged one
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=runtime.tracer_provider,
        excluded_urls="healthz,readyz,metrics",
        server_request_hook=redact_tokens,  # link and sign-in tokens in URLs stay out of traces
    )
    Instrumentator(
        registry=runtime.metrics.registry, excluded_handlers=["/metrics", "/healthz", "/readyz"]
    ).instrument(app)
    return app


ERROR_STATUS: dict[type[DomainError], int] = {
    NotFound: status.HTTP_404_NOT_FOUND,
    Conflict: status.HTTP_409_CONFLICT,
    Refused: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


def install_error_handlers(app: FastAPI) -> None:
    """The one place where domain errors become HTTP answers, and 422 bodies always render."""

    async def domain_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError)
        code = next(
            (code for kind, code in ERROR_STATUS.items() if isinstance(error, kind)),
            status.HTTP_400_BAD_REQUEST,
        )
        return JSONResponse({"detail": error.message}, status_code=code)

    async def invalid_request(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        # The input echoed back may hold values JSON cannot carry (NaN, bytes): drop it, keep
        # where the problem is and what it is.
        problems = [
            {
                "loc": list(item.get("loc", ())),
                "msg": str(item.get("msg", "")),
                "type": str(item.get("type", "")),
            }
            for item in error.errors()
        ]
        return JSONResponse({"detail": problems}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

    async def nested_too_deeply(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse(
            {"detail": "the JSON body is nested too deeply; send flat objects as the API documents them"},
            status_code=status.HTTP_400_BAD_REQUEST,
        )

    async def temporal_unavailable(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, TemporalUnavailable)
        return JSONResponse({"detail": error.message}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)

    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RecursionError, nested_too_deeply)
    app.add_exception_handler(TemporalUnavailable, temporal_unavailable)
    app.add_exception_handler(RequestValidationError, invalid_request)


def _operations_router(runtime: ServiceRuntime, title: str) -> APIRouter:
    router = APIRouter(tags=["operations"])
    asyncapi = AsyncAPI(runtime.broker, title=f"{title} events", version="0.1.0")

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok", "service": runtime.settings.service_name}

    @router.get("/readyz", response_model=None)
    async def readyz() -> dict[str, Any] | JSONResponse:
        """The database and the broker answer; 503 says which one does not."""
        checks: dict[str, str] = {}
        try:
            await db.ping(runtime.engine)
            checks["database"] = "ok"
        except Exception as error:  # noqa: BLE001 - reported, not raised
            checks["database"] = f"unreachable: {error}"
        try:
            reachable = await runtime.broker.ping(timeout=2.0)
        except Exception:  # noqa: BLE001
            reachable = False
        checks["kafka"] = "ok" if reachable else "unreachable: is Kafka running? (make run starts it)"
        ready = all(value == "ok" for value in checks.values())
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return body if ready else JSONResponse(body, status_code=503)

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus metrics: HTTP, Kafka, dead letters, outbox backlog, consumer lag."""
        body = await runtime.metrics.render(sessions=runtime.sessions, broker=runtime.broker)
        return Response(body, media_type=runtime.metrics.content_type)

    @router.get("/asyncapi", response_class=HTMLResponse, include_in_schema=False)
    async def asyncapi_page() -> str:
        """The event contract this service publishes and consumes, as a browsable page."""
        return asyncapi_html(asyncapi.to_specification())

    @router.get(ASYNCAPI_STATIC_URL + "/{name}", include_in_schema=False)
    async def asyncapi_asset(name: str) -> FileResponse:
        """The AsyncAPI viewer's script and style, fetched from npm by `make setup`."""
        path = asyncapi_asset_path(name)
        if path is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"no viewer file {name!r}: run `make setup` to fetch the viewer"
            )
        return FileResponse(path)

    @router.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_json() -> Any:
        return asyncapi.to_specification().to_jsonable()

    return router
