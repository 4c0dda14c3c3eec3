"""The intake service: clinics and readiness. `uvicorn --factory services.intake.app:create_app --port 8001`."""

from pathlib import Path

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from services.intake.api import router
from services.intake.settings import IntakeSettings
from shared.app import create_runtime, create_service_app

def create_app(settings: IntakeSettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    runtime = create_runtime(settings or IntakeSettings(), tracer_provider)
    return create_service_app(
        runtime=runtime,
        title="faio intake",
        description="Clinics, officers and the AI Readiness Assessment.",
        migrations_dir=Path(__file__).parent / "migrations",
        http_routers=[router],
    )
