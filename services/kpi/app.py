"""The kpi service. `uvicorn --factory services.kpi.app:create_app --port $FAIO_HTTP_PORT`."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from services.kpi.api import ingestion_router, kpis_router, partners_router
from services.kpi.evaluation import evaluate_periodically
from services.kpi.handlers import create_router
from services.kpi.ingest import FrontDoor
from services.kpi.settings import KpiSettings
from shared.app import create_runtime, create_service_app


@contextlib.contextmanager
def garbage_collector_for_batches() -> Iterator[None]:
    """While the service runs: collect cyclic garbage rarely, never rescanning start-up's objects.

    A batch of partner events keeps tens of thousands of objects alive while it is applied.
    At Python's default thresholds (700, 10, 10) the collector runs hundreds of times per batch,
    promotes them all, and every full collection walks the whole heap of imported modules:
    about a fifth of the hot path's CPU (tests/bench/bench_kpi.py). Almost everything here is
    freed by reference counting anyway; the collector only has cycles to find.
    """
    thresholds = gc.get_threshold()
    gc.freeze()  # modules, schemas and the app itself live as long as the process
    gc.set_threshold(100_000, 50, 10)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def create_app(settings: KpiSettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    settings = settings or KpiSettings()
    runtime = create_runtime(settings, tracer_provider)

    @asynccontextmanager
    async def background_work(_: FastAPI) -> AsyncIterator[None]:
        evaluator = None
        if settings.evaluation_interval_seconds > 0:
            evaluator = asyncio.create_task(
                evaluate_periodically(runtime.sessions, settings.evaluation_interval_seconds)
            )
        try:
            with garbage_collector_for_batches():
                yield
        finally:
            if evaluator is not None:
                evaluator.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await evaluator

    app = create_service_app(
        runtime=runtime,
        title="faio kpi",
        description="Partner event ingestion, KPIs against baseline and target, alerts.",
        migrations_dir=Path(__file__).parent / "migrations",
        http_routers=(partners_router, ingestion_router, kpis_router),
        kafka_router=create_router(runtime),
        extra_lifespan=background_work,
    )
    app.state.front_door = FrontDoor(
        runtime.sessions,
        max_in_flight=settings.partner_batches_in_flight,
        pseudonym_secret=settings.pseudonym_secret,
    )
    return app
