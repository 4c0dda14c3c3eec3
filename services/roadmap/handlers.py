"""Roadmap's Kafka subscribers: thin, each applies one event exactly once.

A clinic's registration, assessment and audit touch only roadmap's database, so they are
applied whether Temporal is up or not. KPI snapshots and alerts are relayed to running plans.
"""

from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.initiatives import proposals
from services.roadmap.plans import service as plans
from services.roadmap.plans import starter
from services.roadmap.plans.contracts import AdoptionAlert, KpiReading
from shared import topics
from shared.app import ServiceRuntime
from shared.broker import consumer_options
from shared.db import SessionFactory
from shared.events import ClinicRegistered
from shared.events.audit import AuditCompleted
from shared.events.buy_in import PlanBuyInChanged
from shared.events.intake import AssessmentCompleted, ClinicUpdated
from shared.events.kpi import KpiAlert, KpiSnapshot
from shared.events.roadmap import InitiativeApproved, InitiativeProposed, PlanNoticeRaised, PlanPhaseChanged
from shared.inbox import apply_once
from shared.temporal import TemporalConnection

# A KPI event waits this long for the Temporal client before it is retried (then dead-lettered).
TEMPORAL_WAIT_SECONDS = 30.0


class RoadmapHandlers:
    def __init__(self, sessions: SessionFactory, temporal: TemporalConnection) -> None:
        self.sessions = sessions
        self._temporal = temporal

    async def on_clinic_registered(self, event: ClinicRegistered, message: KafkaMessage) -> None:
        async def record(session: AsyncSession) -> None:
            await proposals.record_clinic(session=session, event=event)

        await apply_once(
            self.sessions, headers=message.headers, consumer="roadmap.on_clinic_registered", effect=record
        )

    async def on_clinic_updated(self, event: ClinicUpdated, message: KafkaMessage) -> None:
        async def refresh(session: AsyncSession) -> None:
            await proposals.record_clinic(session=session, event=event)

        await apply_once(
            self.sessions, headers=message.headers, consumer="roadmap.on_clinic_updated", effect=refresh
        )

    async def on_assessment_completed(self, event: AssessmentCompleted, message: KafkaMessage) -> None:
        async def record(session: AsyncSession) -> None:
            await proposals.record_assessment(session=session, event=event)

        await apply_once(
            self.sessions, headers=message.headers, consumer="roadmap.on_assessment_completed", effect=record
        )

    async def on_audit_completed(self, event: AuditCompleted, message: KafkaMessage) -> None:
        async def record(session: AsyncSession) -> None:
            await proposals.record_audit(session=session, event=event)

        await apply_once(
            self.sessions, headers=message.headers, consumer="roadmap.on_audit_completed", effect=record
        )

    async def on_kpi_snapshot(self, event: KpiSnapshot, message: KafkaMessage) -> None:
        await self._relay_to_plan(
            event, message, consumer="roadmap.on_kpi_snapshot", relayed=plans.reading_of(event)
        )

    async def on_kpi_alert(self, event: KpiAlert, message: KafkaMessage) -> None:
        await self._relay_to_plan(
            event, message, consumer="roadmap.on_kpi_alert", relayed=plans.alert_of(event)
        )

    async def _relay_to_plan(
        self,
        event: KpiSnapshot | KpiAlert,
        message: KafkaMessage,
        *,
        consumer: str,
        relayed: KpiReading | AdoptionAlert,
    ) -> None:
        """Signal the clinic's running plan for the event's initiative, once per event."""
        temporal = await self._temporal.client(within=TEMPORAL_WAIT_SECONDS)

        async def relay(session: AsyncSession) -> None:
            plan = await plans.running_plan_for(
                session=session, clinic_id=event.clinic_id, initiative_id=event.initiative_id
            )
            if plan is not None:
                await starter.relay_to_plan(temporal, plan.id, relayed)

        await apply_once(self.sessions, headers=message.headers, consumer=consumer, effect=relay)


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
    # Documentation only (the outbox relay publishes): what roadmap sends, shown at /asyncapi.
    for published, description in (
        (InitiativeProposed, "An initiative proposed, or re-ranked, for a clinic from its latest audit."),
        (InitiativeApproved, "The officer approved one initiative; its plan starts."),
        (PlanPhaseChanged, "An implementation plan moved to another phase."),
        (PlanNoticeRaised, "A plan told its officer something; urgent ones need a person to act."),
        (PlanBuyInChanged, "A plan's staff buy-in changed (counts; survey figures from 5 answers)."),
    ):
        router.publisher(published.topic.name, description=description, schema=published)
    return router
