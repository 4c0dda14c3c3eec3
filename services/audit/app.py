"""The audit service. `uvicorn --factory services.audit.app:create_app --port $FAIO_HTTP_PORT`.

Its Temporal worker (the window timers) is a process of its own: `python -m services.audit.worker`.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from services.audit.api import TemporalConnection, router
from services.audit.handlers import create_router
from services.audit.settings import AuditSettings
from shared.app import create_runtime, create_service_app
from shared.temporal import connect_temporal


def create_app(
    settings: AuditSettings | None = None, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    settings = settings or AuditSettings()
    runtime = create_runtime(settings, tracer_provider)
    temporal = TemporalConnection()

    @asynccontextmanager
    async def connect_to_temporal(app: FastAPI) -> AsyncIterator[None]:
        # In the background: the API (entries, findings) works while Temporal is still starting;
        # only opening and closing windows wait for it.
        async def connect() -> None:
            temporal.use(await connect_temporal(settings, runtime.tracer_provider))

        task = asyncio.create_task(connect())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = create_service_app(
        runtime=runtime,
        title="faio audit",
        description="The one-week task audit and its automation findings.",
        migrations_dir=Path(__file__).parent / "migrations",
        http_routers=[router],
        kafka_router=create_router(runtime),
        extra_lifespan=connect_to_temporal,
    )
    app.state.temporal_connection = temporal
    return app
