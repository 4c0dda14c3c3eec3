"""The portal's Kafka subscribers: thin, each applies one event to the read model exactly once.

The portal learns everything from events; it never reads another service's tables.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.read_model import activity, buy_in, projection
from shared import clock, topics
from shared.broker import CONTRACT_ERRORS, consumer_options, dead_letter_record
from shared.db import SessionFactory
from shared.events.audit import AuditCompleted, AuditOpened
from shared.events.buy_in import PlanBuyInChanged
from shared.events.envelope import Envelope
from shared.events.intake import AssessmentCompleted, ClinicArchived, ClinicRegistered, ClinicUpdated
from shared.events.kpi import ClinicActivity, KpiAlert, KpiSnapshot
from shared.events.roadmap import InitiativeApproved, InitiativeProposed, PlanNoticeRaised, PlanPhaseChanged
from shared.inbox import InboxMessage, apply_once
from shared.settings import SharedSettings

# KPI snapshots per transaction: a clinic portfolio's weekly burst, a few commits instead of thousands.
SNAPSHOT_BATCH = 1_000


class PortalHandlers:
    def __init__(self, sessions: SessionFactory, broker: KafkaBroker) -> None:
        self.sessions = sessions
        self.broker = broker

    async def _apply(
        self, message: KafkaMessage, consumer: str, effect: Callable[[AsyncSession], Awaitable[object]]
    ) -> None:
        await apply_once(self.sessions, headers=message.headers, consumer=consumer, effect=effect)

    async def on_clinic_registered(self, event: ClinicRegistered, message: KafkaMessage) -> None:
        when = Envelope.from_headers(message.headers).time
        await self._apply(
            message,
            "portal.on_clinic_registered",
            lambda session: projection.record_clinic(session=session, event=event, event_time=when),
        )

    async def on_clinic_updated(self, event: ClinicUpdated, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_clinic_updated",
            lambda session: projection.record_clinic(
                session=session, event=event, event_time=event.updated_at
            ),
        )

    async def on_clinic_archived(self, event: ClinicArchived, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_clinic_archived",
            lambda session: projection.record_clinic_archived(session=session, event=event),
        )

    async def on_assessment_completed(self, event: AssessmentCompleted, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_assessment_completed",
            lambda session: projection.record_assessment(session=session, event=event),
        )

    async def on_audit_completed(self, event: AuditCompleted, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_audit_completed",
            lambda session: projection.record_audit(session=session, event=event),
        )

    async def on_audit_opened(self, event: AuditOpened, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_audit_opened",
            lambda session: projection.record_audit_opened(session=session, event=event),
        )

    async def on_initiative_proposed(self, event: InitiativeProposed, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_initiative_proposed",
            lambda session: projection.record_initiative_proposed(session=session, event=event),
        )

    async def on_initiative_approved(self, event: InitiativeApproved, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_initiative_approved",
            lambda session: projection.record_initiative_approved(session=session, event=event),
        )

    async def on_plan_phase_changed(self, event: PlanPhaseChanged, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_plan_phase_changed",
            lambda session: projection.record_phase_change(session=session, event=event),
        )

    async def on_plan_notice_raised(self, event: PlanNoticeRaised, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_plan_notice_raised",
            lambda session: projection.record_notice(session=session, event=event),
        )

    async def on_plan_buy_in_changed(self, event: PlanBuyInChanged, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_plan_buy_in_changed",
            lambda session: buy_in.record_buy_in(session=session, event=event),
        )

    async def on_kpi_snapshots(self, body: list[bytes], message: KafkaMessage) -> None:
        """KPI weeks come in bursts (every clinic's week at once): a batch is one transaction.

        Each record is still applied once (an inbox row per event id, skipped when present);
        a record that breaks the contract is dead-lettered alone and the rest applied.
        """
        records: tuple[ConsumerRecord[Any, Any], ...] = message.raw_message
        received = clock.now()
        good: list[tuple[str, KpiSnapshot]] = []
        for record in records:
            try:
                headers = {name: value.decode() for name, value in record.headers or ()}
                event_id = Envelope.from_headers(headers).id
                good.append((event_id, KpiSnapshot.model_validate_json(record.value or b"")))
            except (*CONTRACT_ERRORS, UnicodeDecodeError) as error:
                await dead_letter_record(self.broker, record, error)
        if good:
            async with self.sessions() as session:
                fresh = await new_events(
                    session, consumer="portal.on_kpi_snapshot", event_ids=[i for i, _ in good]
                )
                await projection.record_snapshots(
                    session=session,
                    events=[event for event_id, event in good if event_id in fresh],
                    received_at=received,
                )
                await session.commit()

    async def on_clinic_activity(self, event: ClinicActivity, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_clinic_activity",
            lambda session: activity.record_activity(session=session, event=event),
        )

    async def on_kpi_alert(self, event: KpiAlert, message: KafkaMessage) -> None:
        await self._apply(
            message,
            "portal.on_kpi_alert",
            lambda session: projection.record_alert(session=session, event=event),
        )


def create_router(handlers: PortalHandlers, settings: SharedSettings) -> KafkaRouter:
    router = KafkaRouter()
    subscriptions: tuple[tuple[topics.Topic, Callable[..., Awaitable[Any]]], ...] = (
        (topics.CLINIC_REGISTERED, handlers.on_clinic_registered),
        (topics.CLINIC_UPDATED, handlers.on_clinic_updated),
        (topics.CLINIC_ARCHIVED, handlers.on_clinic_archived),
        (topics.ASSESSMENT_COMPLETED, handlers.on_assessment_completed),
        (topics.AUDIT_OPENED, handlers.on_audit_opened),
        (topics.AUDIT_COMPLETED, handlers.on_audit_completed),
        (topics.INITIATIVE_PROPOSED, handlers.on_initiative_proposed),
        (topics.INITIATIVE_APPROVED, handlers.on_initiative_approved),
        (topics.PLAN_PHASE_CHANGED, handlers.on_plan_phase_changed),
        (topics.PLAN_NOTICE_RAISED, handlers.on_plan_notice_raised),
        (topics.KPI_ALERT, handlers.on_kpi_alert),
        (topics.KPI_CLINIC_ACTIVITY, handlers.on_clinic_activity),
        (topics.PLAN_BUY_IN_CHANGED, handlers.on_plan_buy_in_changed),
    )
    for topic, handler in subscriptions:
        router.subscriber(topic.name, **consumer_options(settings, topic.name))(handler)
    router.subscriber(
        topics.KPI_SNAPSHOT.name,
        batch=True,
        max_records=SNAPSHOT_BATCH,
        batch_timeout_ms=100,
        decoder=raw_batch,
        **consumer_options(settings, topics.KPI_SNAPSHOT.name),
    )(handlers.on_kpi_snapshots)
    return router


async def raw_batch(message: StreamMessage[Any]) -> Any:
    """The batch's values as bytes: each record is validated on its own (one bad one is parked)."""
    return message.body


async def new_events(session: AsyncSession, *, consumer: str, event_ids: list[str]) -> set[str]:
    """Record the events not applied before by `consumer` (in the caller's transaction); return them."""
    seen = set(
        (
            await session.exec(
                select(InboxMessage.event_id).where(
                    InboxMessage.consumer == consumer, col(InboxMessage.event_id).in_(event_ids)
                )
            )
        ).all()
    )
    fresh = set(event_ids) - seen
    session.add_all(InboxMessage(consumer=consumer, event_id=event_id) for event_id in fresh)
    await session.flush()
    return fresh
