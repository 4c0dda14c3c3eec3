"""Roadmap's Kafka subscribers: thin, each applies one event exactly once."""

import asyncio

from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from services.roadmap import service
from services.roadmap.settings import RoadmapSettings
from shared import topics
from shared.app import ServiceRuntime
from shared.broker import consumer_options
from shared.db import SessionFactory
from shared.events import ClinicRegistered
from shared.inbox import apply_once

TEMPORAL_WAIT_SECONDS = 30.0


class RoadmapHandlers:
    def __init__(self, sessions: SessionFactory, settings: RoadmapSettings) -> None:
        self.sessions = sessions
        self.settings = settings
        self._temporal: Client | None = None
        self._temporal_ready = asyncio.Event()

    def use_temporal(self, client: Client) -> None:
        self._temporal = client
        self._temporal_ready.set()

    async def temporal(self) -> Client:
        """The Temporal client, once the app has connected it (events may arrive before)."""
        await asyncio.wait_for(self._temporal_ready.wait(), TEMPORAL_WAIT_SECONDS)
        assert self._temporal is not None
        return self._temporal

    async def on_clinic_registered(self, event: ClinicRegistered, message: KafkaMessage) -> None:
        temporal = await self.temporal()

        async def record_and_start(session: AsyncSession) -> None:
            await service.record_clinic(session=session, event=event)
            # Inside the transaction: if the start fails, the clinic is not recorded and the
            # event is retried; a repeated start finds the existing workflow.
            await service.start_clinic_roadmap(
                temporal=temporal, clinic_id=event.clinic_id, task_queue=self.settings.temporal_task_queue
            )

        await apply_once(
            self.sessions,
            headers=message.headers,
            consumer="roadmap.on_clinic_registered",
            effect=record_and_start,
        )


def create_router(runtime: ServiceRuntime, handlers: RoadmapHandlers) -> KafkaRouter:
    router = KafkaRouter()
    options = consumer_options(runtime.settings)
    router.subscriber(topics.CLINIC_REGISTERED.name, **options)(handlers.on_clinic_registered)
    return router
