"""Kpi service's Kafka subscribers: thin, each applies one event exactly once."""

from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from services.kpi import service
from shared import topics
from shared.app import ServiceRuntime
from shared.broker import consumer_options
from shared.db import SessionFactory
from shared.events import ClinicRegistered
from shared.inbox import apply_once


class KpiHandlers:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    async def on_clinic_registered(self, event: ClinicRegistered, message: KafkaMessage) -> None:
        await apply_once(
            self.sessions,
            headers=message.headers,
            consumer="kpi.on_clinic_registered",
            effect=lambda session: service.record_clinic(session=session, event=event),
        )


def create_router(runtime: ServiceRuntime) -> KafkaRouter:
    handlers = KpiHandlers(runtime.sessions)
    router = KafkaRouter()
    options = consumer_options(runtime.settings)
    router.subscriber(topics.CLINIC_REGISTERED.name, **options)(handlers.on_clinic_registered)
    return router
