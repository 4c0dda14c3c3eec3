"""The portal's Kafka subscriptions, declared: topic -> contract -> read-model function.

The portal learns everything from events; it never reads another service's tables.
"""

from collections.abc import Sequence

from faststream.kafka import KafkaRouter
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.read_model import activity, buy_in, projection
from shared import clock, topics
from shared.app import ServiceRuntime
from shared.events.audit import AuditCompleted, AuditOpened
from shared.events.buy_in import PlanBuyInChanged
from shared.events.envelope import Envelope
from shared.events.intake import AssessmentCompleted, ClinicArchived, ClinicRegistered, ClinicUpdated
from shared.events.kpi import ClinicActivity, KpiAlert, KpiSnapshot
from shared.events.roadmap import InitiativeApproved, InitiativeProposed, PlanNoticeRaised, PlanPhaseChanged
from shared.subscriptions import BatchSubscription, Subscription, kafka_router

# KPI snapshots per transaction: a clinic portfolio's weekly burst, a few commits instead of thousands.
SNAPSHOT_BATCH = 1_000


async def record_registration(*, session: AsyncSession, event: ClinicRegistered, envelope: Envelope) -> None:
    """A registration is dated by its event time (ce_time): an older profile never wins."""
    await projection.record_clinic(session=session, event=event, event_time=envelope.time)


async def record_update(*, session: AsyncSession, event: ClinicUpdated) -> None:
    await projection.record_clinic(session=session, event=event, event_time=event.updated_at)


async def record_snapshots(*, session: AsyncSession, events: Sequence[KpiSnapshot]) -> None:
    await projection.record_snapshots(session=session, events=list(events), received_at=clock.now())


SUBSCRIPTIONS = (
    Subscription(topics.CLINIC_REGISTERED, ClinicRegistered, record_registration),
    Subscription(topics.CLINIC_UPDATED, ClinicUpdated, record_update),
    Subscription(topics.CLINIC_ARCHIVED, ClinicArchived, projection.record_clinic_archived),
    Subscription(topics.ASSESSMENT_COMPLETED, AssessmentCompleted, projection.record_assessment),
    Subscription(topics.AUDIT_OPENED, AuditOpened, projection.record_audit_opened),
    Subscription(topics.AUDIT_COMPLETED, AuditCompleted, projection.record_audit),
    Subscription(topics.INITIATIVE_PROPOSED, InitiativeProposed, projection.record_initiative_proposed),
    Subscription(topics.INITIATIVE_APPROVED, InitiativeApproved, projection.record_initiative_approved),
    Subscription(topics.PLAN_PHASE_CHANGED, PlanPhaseChanged, projection.record_phase_change),
    Subscription(topics.PLAN_NOTICE_RAISED, PlanNoticeRaised, projection.record_notice),
    Subscription(topics.KPI_ALERT, KpiAlert, projection.record_alert),
    Subscription(topics.KPI_CLINIC_ACTIVITY, ClinicActivity, activity.record_activity),
    Subscription(topics.PLAN_BUY_IN_CHANGED, PlanBuyInChanged, buy_in.record_buy_in),
    BatchSubscription(topics.KPI_SNAPSHOT, KpiSnapshot, record_snapshots, max_records=SNAPSHOT_BATCH),
)


def create_router(runtime: ServiceRuntime) -> KafkaRouter:
    return kafka_router(runtime, service="portal", subscriptions=SUBSCRIPTIONS)
