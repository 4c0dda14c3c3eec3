"""The audit service. `uvicorn --factory services.audit.app:create_app --port $FAIO_HTTP_PORT`."""

from pathlib import Path

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from services.audit.handlers import create_router
from services.audit.settings import AuditSettings
from shared.app import create_runtime, create_service_app


def create_app(settings: AuditSettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    runtime = create_runtime(settings or AuditSettings(), tracer_provider)
    return create_service_app(
        runtime=runtime,
        title="faio audit",
        description="The one-week task audit and its automation findings.",
        migrations_dir=Path(__file__).parent / "migrations",
        kafka_router=create_router(runtime),
    )
