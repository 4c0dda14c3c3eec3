"""The roadmap service. `uvicorn --factory services.roadmap.app:create_app --port 8003`.

Its Temporal worker is a process of its own: `python -m services.roadmap.plans.worker`.
"""

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import Gauge
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.api import ROUTERS
from services.roadmap.handlers import create_router
from services.roadmap.models import RoadmapPlan, RoadmapPlanNotice
from services.roadmap.settings import RoadmapSettings
from shared.app import create_runtime, create_service_app
from shared.events.roadmap import PLAN_PHASES
from shared.metrics import ServiceMetrics


def create_app(
    settings: RoadmapSettings | None = None, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    settings = settings or RoadmapSettings()
    runtime = create_runtime(settings, tracer_provider)
    temporal = runtime.temporal

    app = create_service_app(
        runtime=runtime,
        title="faio roadmap",
        description="Initiatives, approval and the implementation plans that run for months.",
        migrations_dir=Path(__file__).parent / "migrations",
        http_routers=ROUTERS,
        kafka_router=create_router(runtime),
        extra_lifespan=lambda _app: temporal.connecting(settings, runtime.tracer_provider),
    )
    app.state.temporal = temporal
    runtime.metrics.on_scrape(plan_gauges(runtime.metrics))
    return app


def plan_gauges(metrics: ServiceMetrics) -> Callable[[AsyncSession], Awaitable[None]]:
    """Plans by phase, and notices by kind, read from roadmap's tables at each scrape.

    The notices are raised by the worker process; counting their rows here keeps one place
    that Prometheus scrapes, and a count that only grows behaves as a counter for `increase()`.
    """
    plans = Gauge(
        "faio_plans", "Implementation plans by their current phase.", ["phase"], registry=metrics.registry
    )
    notices = Gauge(
        "faio_plan_notices",
        "Notices plans have raised for their officer, by kind (ever; escalations page).",
        ["kind"],
        registry=metrics.registry,
    )

    async def read(session: AsyncSession) -> None:
        by_phase = dict(
            (await session.exec(select(RoadmapPlan.phase, func.count()).group_by(RoadmapPlan.phase))).all()
        )
        for phase in PLAN_PHASES:
            plans.labels(phase).set(by_phase.get(phase, 0))
        by_kind = (
            await session.exec(select(RoadmapPlanNotice.kind, func.count()).group_by(RoadmapPlanNotice.kind))
        ).all()
        for kind, count in by_kind:
            notices.labels(kind).set(count)

    return read
