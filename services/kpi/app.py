"""The kpi service. `uvicorn --factory services.kpi.app:create_app --port $FAIO_HTTP_PORT`."""

from pathlib import Path

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from services.kpi.handlers import create_router
from services.kpi.settings import KpiSettings
from shared.app import create_runtime, create_service_app


def create_app(settings: KpiSettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    runtime = create_runtime(settings or KpiSettings(), tracer_provider)
    return create_service_app(
        runtime=runtime,
        title="faio kpi",
        description="Partner event ingestion, KPIs against baseline and target, alerts.",
        migrations_dir=Path(__file__).parent / "migrations",
        kafka_router=create_router(runtime),
    )
