"""The portal's Kafka subscribers: thin, each applies one event to the read model exactly once.

The portal learns everything from events; it never reads another service's tables.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal import service
from shared import topics
from shared.broker import consumer_options
from shared.db import SessionFactory
from shared.events.audit import AuditCompleted
from shared.events.envelope import Envelope
from shared.events.intake import AssessmentCompleted, ClinicArchived, ClinicRegistered, ClinicUpdated
from shared.events.kpi import KpiAlert, KpiSnapshot
from shared.events.roadmap import InitiativeApproved, InitiativeProposed, PlanNoticeRaised, PlanPhaseChanged
from shared.inbox import apply_once
from shared.settings import SharedSettings


class PortalHandlers:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    async def _apply(
        self, message: KafkaMessage, consumer: str, effect: Callable[[AsyncSession], Awaitable[object]]
    ) -> None:
        await apply_once(self.sessions, headers=message.headers, consumer=consumer, effect=effect)

    async def on_clinic_registered(self, event: ClinicRegistered, message: KafkaMessage) -> None:
        when = Envelope.from_headers(message.headers).time
        await self._apply(
            message,
            "portal.on_clinic_registered",
            lambda session: service.record_clinic(session=session, event=event, event_time=when),
        )

    async def on_clinic_updated(self, event: ClinicUpdated, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_clinic_updated",
            lambda session: service.record_clinic(session=session, event=event, event_time=event.updated_at),
        )

    async def on_clinic_archived(self, event: ClinicArchived, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_clinic_archived",
            lambda session: service.record_clinic_archived(session=session, event=event),
        )

    async def on_assessment_completed(self, event: AssessmentCompleted, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_assessment_completed",
            lambda session: service.record_assessment(session=session, event=event),
        )

    async def on_audit_completed(self, event: AuditCompleted, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_audit_completed",
            lambda session: service.record_audit(session=session, event=event),
        )

    async def on_initiative_proposed(self, event: InitiativeProposed, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_initiative_proposed",
            lambda session: service.record_initiative_proposed(session=session, event=event),
        )

    async def on_initiative_approved(self, event: InitiativeApproved, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_initiative_approved",
            lambda session: service.record_initiative_approved(session=session, event=event),
        )

    async def on_plan_phase_changed(self, event: PlanPhaseChanged, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_plan_phase_changed",
            lambda session: service.record_phase_change(session=session, event=event),
        )

    async def on_plan_notice_raised(self, event: PlanNoticeRaised, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_plan_notice_raised",
            lambda session: service.record_notice(session=session, event=event),
        )

    async def on_kpi_snapshot(self, event: KpiSnapshot, message: KafkaMessage) -> None:
        received = datetime.now(UTC)
        await self._apply(
            message,
            "portal.on_kpi_snapshot",
            lambda session: service.record_snapshot(session=session, event=event, received_at=received),
        )

    async def on_kpi_alert(self, event: KpiAlert, message: KafkaMessage) -> None:
        await self._apply(
            message, "portal.on_kpi_alert", lambda session: service.record_alert(session=session, event=event)
        )


def create_router(handlers: PortalHandlers, settings: SharedSettings) -> KafkaRouter:
    router = KafkaRouter()
    subscriptions: tuple[tuple[topics.Topic, Callable[..., Awaitable[Any]]], ...] = (
        (topics.CLINIC_REGISTERED, handlers.on_clinic_registered),
        (topics.CLINIC_UPDATED, handlers.on_clinic_updated),
        (topics.CLINIC_ARCHIVED, handlers.on_clinic_archived),
        (topics.ASSESSMENT_COMPLETED, handlers.on_assessment_completed),
        (topics.AUDIT_COMPLETED, handlers.on_audit_completed),
        (topics.INITIATIVE_PROPOSED, handlers.on_initiative_proposed),
        (topics.INITIATIVE_APPROVED, handlers.on_initiative_approved),
        (topics.PLAN_PHASE_CHANGED, handlers.on_plan_phase_changed),
        (topics.PLAN_NOTICE_RAISED, handlers.on_plan_notice_raised),
        (topics.KPI_SNAPSHOT, handlers.on_kpi_snapshot),
        (topics.KPI_ALERT, handlers.on_kpi_alert),
    )
    for topic, handler in subscriptions:
        router.subscriber(topic.name, **consumer_options(settings, topic.name))(handler)
    return router
