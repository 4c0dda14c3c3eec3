"""The audit service. `uvicorn --factory services.audit.app:create_app --port 8002`.

Its Temporal worker (the window timers) is a process of its own: `python -m services.audit.worker`.
"""

from pathlib import Path

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from services.audit.api import router
from services.audit.handlers import create_router
from services.audit.settings import AuditSettings
from services.audit.task_log.api import public_router as task_log_public_router
from services.audit.task_log.api import router as task_log_router
from shared.app import create_runtime, create_service_app


def create_app(
    settings: AuditSettings | None = None, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    settings = settings or AuditSettings()
    runtime = create_runtime(settings, tracer_provider)
    # Opening and closing windows wait for Temporal; entries and findings work without it.
    temporal = runtime.temporal
    app = create_service_app(
        runtime=runtime,
        title="faio audit",
        description="The one-week task audit and its automation findings.",
        migrations_dir=Path(__file__).parent / "migrations",
        http_routers=[router, task_log_router, task_log_public_router],
        kafka_router=create_router(runtime),
        extra_lifespan=lambda _app: temporal.connecting(settings, runtime.tracer_provider),
        # The route reads the file itself and answers 413 naming its own limit.
        body_limits={"/entries:import": settings.max_import_bytes + 1},
    )
    app.state.temporal = temporal
    return app
