"""Audit service's Kafka subscribers: thin, each applies one event exactly once."""

from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from services.audit import service
from shared import topics
from shared.app import ServiceRuntime
from shared.broker import consumer_options
from shared.db import SessionFactory
from shared.events import ClinicRegistered
from shared.events.audit import AuditCompleted, AuditOpened
from shared.events.intake import ClinicArchived, ClinicUpdated
from shared.inbox import apply_once


class AuditHandlers:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    async def on_clinic_registered(self, event: ClinicRegistered, message: KafkaMessage) -> None:
        await apply_once(
            self.sessions,
            headers=message.headers,
            consumer="audit.on_clinic_registered",
            effect=lambda session: service.record_clinic(session=session, event=event),
        )

    async def on_clinic_updated(self, event: ClinicUpdated, message: KafkaMessage) -> None:
        await apply_once(
            self.sessions,
            headers=message.headers,
            consumer="audit.on_clinic_updated",
            effect=lambda session: service.record_clinic(session=session, event=event),
        )

    async def on_clinic_archived(self, event: ClinicArchived, message: KafkaMessage) -> None:
        await apply_once(
            self.sessions,
            headers=message.headers,
            consumer="audit.on_clinic_archived",
            effect=lambda session: service.archive_clinic(session=session, event=event),
        )


def create_router(runtime: ServiceRuntime) -> KafkaRouter:
    handlers = AuditHandlers(runtime.sessions)
    router = KafkaRouter()
    for topic, handler in (
        (topics.CLINIC_REGISTERED, handlers.on_clinic_registered),
        (topics.CLINIC_UPDATED, handlers.on_clinic_updated),
        (topics.CLINIC_ARCHIVED, handlers.on_clinic_archived),
    ):
        router.subscriber(topic.name, **consumer_options(runtime.settings, topic.name))(handler)
    # Documentation only (the outbox relay publishes): what audit sends, shown at /asyncapi.
    router.publisher(
        topics.AUDIT_COMPLETED.name,
        description="An audit window closed: hours and cost per week, coverage, and the automation "
        "candidates ranked by weekly cost x predictability x suitability, best first.",
        schema=AuditCompleted,
    )
    router.publisher(
        topics.AUDIT_OPENED.name,
        description="An audit window opened: its first and last day. Staff log their tasks meanwhile.",
        schema=AuditOpened,
    )
    return router
