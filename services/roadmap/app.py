"""The roadmap service. `uvicorn --factory services.roadmap.app:create_app --port 8003`.

Its Temporal worker is a process of its own: `python -m services.roadmap.worker`.
"""

from pathlib import Path

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from services.roadmap.api import router
from services.roadmap.handlers import RoadmapHandlers, create_router
from services.roadmap.settings import RoadmapSettings
from shared.app import create_runtime, create_service_app
from shared.temporal import TemporalConnection


def create_app(
    settings: RoadmapSettings | None = None, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    settings = settings or RoadmapSettings()
    runtime = create_runtime(settings, tracer_provider)
    temporal = TemporalConnection()
    handlers = RoadmapHandlers(runtime.sessions, temporal)

    app = create_service_app(
        runtime=runtime,
        title="faio roadmap",
        description="Initiatives, approval and the implementation plans that run for months.",
        migrations_dir=Path(__file__).parent / "migrations",
        http_routers=[router],
        kafka_router=create_router(runtime, handlers),
        extra_lifespan=lambda _app: temporal.connecting(settings, runtime.tracer_provider),
    )
    app.state.temporal = temporal
    return app
