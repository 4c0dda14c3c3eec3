"""The intake service: clinics and readiness.

Run it with `uvicorn --factory services.intake.app:create_app --port 8001`.
"""

from pathlib import Path

from fastapi import FastAPI
from faststream.kafka import KafkaRouter
from opentelemetry.sdk.trace import TracerProvider

from services.intake.api import router
from services.intake.settings import IntakeSettings
from shared import topics
from shared.app import create_runtime, create_service_app
from shared.events.intake import AssessmentCompleted, ClinicArchived, ClinicRegistered, ClinicUpdated


def published_events() -> KafkaRouter:
    """Documentation only (the outbox relay publishes): what intake sends, shown at /asyncapi."""
    events = KafkaRouter()
    for topic, schema, description in (
        (
            topics.CLINIC_REGISTERED,
            ClinicRegistered,
            "A clinic joined an officer's portfolio, with staff costs.",
        ),
        (topics.CLINIC_UPDATED, ClinicUpdated, "A clinic's profile changed; the whole new profile."),
        (topics.CLINIC_ARCHIVED, ClinicArchived, "A clinic left the active portfolio; its history is kept."),
        (
            topics.ASSESSMENT_COMPLETED,
            AssessmentCompleted,
            "An AI Readiness Assessment was scored: 0-100 per dimension and overall, level, top gaps.",
        ),
    ):
        events.publisher(topic.name, description=description, schema=schema)
    return events


def create_app(
    settings: IntakeSettings | None = None, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    runtime = create_runtime(settings or IntakeSettings(), tracer_provider)
    return create_service_app(
        runtime=runtime,
        title="faio intake",
        description="Clinics, officers and the AI Readiness Assessment.",
        migrations_dir=Path(__file__).parent / "migrations",
        http_routers=[router],
        kafka_router=published_events(),
    )
