"""Roadmap's Kafka subscribers: thin, each applies one event exactly once."""

import logging

from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from services.roadmap import service
from services.roadmap.settings import RoadmapSettings
from services.roadmap.workflows import ImplementationPlanWorkflow
from shared import topics
from shared.app import ServiceRuntime
from shared.broker import consumer_options
from shared.db import SessionFactory
from shared.events import ClinicRegistered
from shared.events.audit import AuditCompleted
from shared.events.intake import AssessmentCompleted, ClinicUpdated
from shared.events.kpi import KpiAlert, KpiSnapshot
from shared.inbox import apply_once
from shared.temporal import TemporalConnection

log = logging.getLogger(__name__)

TEMPORAL_WAIT_SECONDS = 30.0


class RoadmapHandlers:
    def __init__(
        self, sessions: SessionFactory, settings: RoadmapSettings, temporal: TemporalConnection
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self._temporal = temporal

    async def temporal(self) -> Client:
        """The Temporal client, once the app has connected it (events may arrive before)."""
        return await self._temporal.client(within=TEMPORAL_WAIT_SECONDS)

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

    async def on_clinic_updated(self, event: ClinicUpdated, message: KafkaMessage) -> None:
        async def refresh(session: AsyncSession) -> None:
            await service.record_clinic(session=session, event=event)

        await apply_once(
            self.sessions, headers=message.headers, consumer="roadmap.on_clinic_updated", effect=refresh
        )

    async def on_assessment_completed(self, event: AssessmentCompleted, message: KafkaMessage) -> None:
        async def record(session: AsyncSession) -> None:
            await service.record_assessment(session=session, event=event)

        await apply_once(
            self.sessions, headers=message.headers, consumer="roadmap.on_assessment_completed", effect=record
        )

    async def on_audit_completed(self, event: AuditCompleted, message: KafkaMessage) -> None:
        async def record(session: AsyncSession) -> None:
            await service.record_audit(session=session, event=event)

        await apply_once(
            self.sessions, headers=message.headers, consumer="roadmap.on_audit_completed", effect=record
        )

    async def on_kpi_snapshot(self, event: KpiSnapshot, message: KafkaMessage) -> None:
        await self._relay_to_plan(
            event,
            message,
            consumer="roadmap.on_kpi_snapshot",
            signal=ImplementationPlanWorkflow.kpi_snapshot,
            argument=service.reading_of(event),
        )

    async def on_kpi_alert(self, event: KpiAlert, message: KafkaMessage) -> None:
        await self._relay_to_plan(
            event,
            message,
            consumer="roadmap.on_kpi_alert",
            signal=ImplementationPlanWorkflow.adoption_alert,
            argument=service.alert_of(event),
        )

    async def _relay_to_plan(
        self,
        event: KpiSnapshot | KpiAlert,
        message: KafkaMessage,
        *,
        consumer: str,
        signal: object,
        argument: object,
    ) -> None:
        """Signal the clinic's running plan for the event's initiative, once per event."""
        temporal = await self.temporal()

        async def relay(session: AsyncSession) -> None:
            plan = await service.running_plan_for(
                session=session, clinic_id=event.clinic_id, initiative_id=event.initiative_id
            )
            if plan is not None:
                await _signal(temporal, plan.id, signal, argument)

        await apply_once(self.sessions, headers=message.headers, consumer=consumer, effect=relay)


async def _signal(temporal: Client, plan_id: str, signal: object, argument: object) -> None:
    """Signal a plan; a plan that has just finished needs nothing more (the signal is dropped)."""
    try:
        await service.plan_handle(temporal, plan_id).signal(signal, argument)  # type: ignore[call-overload]
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise  # transient: the middleware retries, then dead-letters with the reason
        log.info("plan %s already finished; %s dropped", plan_id, type(argument).__name__)


def create_router(runtime: ServiceRuntime, handlers: RoadmapHandlers) -> KafkaRouter:
    router = KafkaRouter()
    for topic, handler in (
        (topics.CLINIC_REGISTERED, handlers.on_clinic_registered),
        (topics.CLINIC_UPDATED, handlers.on_clinic_updated),
        (topics.ASSESSMENT_COMPLETED, handlers.on_assessment_completed),
        (topics.AUDIT_COMPLETED, handlers.on_audit_completed),
        (topics.KPI_SNAPSHOT, handlers.on_kpi_snapshot),
        (topics.KPI_ALERT, handlers.on_kpi_alert),
    ):
        router.subscriber(topic.name, **consumer_options(runtime.settings, topic.name))(handler)
    return router
