"""Roadmap's Kafka subscriptions, declared: topic -> contract -> domain function.

A clinic's registration, assessment and audit touch only roadmap's database, so they are
applied whether Temporal is up or not. KPI snapshots and alerts are relayed to running plans.
"""

from faststream.kafka import KafkaRouter
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.initiatives import proposals, repricing
from services.roadmap.models import RoadmapPlan
from services.roadmap.plans import service, starter
from services.roadmap.plans.contracts import AdoptionAlert, KpiReading
from shared import topics
from shared.app import ServiceRuntime
from shared.events.audit import AuditCompleted
from shared.events.buy_in import PlanBuyInChanged
from shared.events.envelope import EventBody
from shared.events.intake import AssessmentCompleted, ClinicRegistered, ClinicUpdated
from shared.events.kpi import KpiAlert, KpiSnapshot
from shared.events.roadmap import (
    InitiativeApproved,
    InitiativeProposed,
    PlanNoticeRaised,
    PlanPhaseChanged,
    PlanTargetSet,
)
from shared.subscriptions import Subscription, kafka_router
from shared.temporal import TemporalConnection

# A KPI event waits this long for the Temporal client before it is retried (then dead-lettered).
TEMPORAL_WAIT_SECONDS = 30.0


class PlanRelay:
    """KPI snapshots and alerts signalled to the clinic's running plan for their initiative."""

    def __init__(self, temporal: TemporalConnection) -> None:
        self.temporal = temporal

    async def connected(self) -> None:
        """Awaited before the transaction opens: no database lock is held while Temporal is away."""
        await self.temporal.client(within=TEMPORAL_WAIT_SECONDS)

    async def relay_snapshot(self, *, session: AsyncSession, event: KpiSnapshot) -> None:
        plan = await self._relay(session, event, service.reading_of(event))
        if plan is not None and event.baseline_week and event.counts is not None:
            # The baseline's measured volume prices a per-encounter tool (it was projected until now).
            await repricing.record_baseline_week(
                session,
                clinic_id=plan.clinic_id,
                initiative_id=plan.initiative_id,
                week=event.week,
                total=event.counts.total,
            )

    async def relay_alert(self, *, session: AsyncSession, event: KpiAlert) -> None:
        await self._relay(session, event, service.alert_of(event))

    async def record_audit(self, *, session: AsyncSession, event: AuditCompleted) -> None:
        """Keep the audit (whether Temporal is up or not); a re-audit also gives the admin plan a week."""
        await proposals.record_audit(session=session, event=event)
        found = await service.reaudit_for_plan(session=session, event=event)
        if found is not None:
            temporal = await self.temporal.client(within=TEMPORAL_WAIT_SECONDS)
            await starter.relay_to_plan(temporal, *found)

    async def _relay(
        self, session: AsyncSession, event: KpiSnapshot | KpiAlert, relayed: KpiReading | AdoptionAlert
    ) -> RoadmapPlan | None:
        plan = await service.running_plan_for(
            session=session, clinic_id=event.clinic_id, initiative_id=event.initiative_id
        )
        if plan is not None:
            temporal = await self.temporal.client(within=TEMPORAL_WAIT_SECONDS)  # connected by now
            await starter.relay_to_plan(temporal, plan.id, relayed)
        return plan


PUBLISHES: dict[type[EventBody], str] = {
    InitiativeProposed: "An initiative proposed, or re-ranked, for a clinic from its latest audit.",
    InitiativeApproved: "The officer approved one initiative; its plan starts.",
    PlanPhaseChanged: "An implementation plan moved to another phase.",
    PlanNoticeRaised: "A plan told its officer something; urgent ones need a person to act.",
    PlanBuyInChanged: "A plan's staff buy-in changed (counts; survey figures from 5 answers).",
    PlanTargetSet: "A plan's target changed after approval: read against the baseline, changed or locked.",
}


def create_router(runtime: ServiceRuntime) -> KafkaRouter:
    relay = PlanRelay(runtime.temporal)
    subscriptions = (
        Subscription(topics.CLINIC_REGISTERED, ClinicRegistered, proposals.record_clinic),
        Subscription(topics.CLINIC_UPDATED, ClinicUpdated, proposals.record_clinic),
        Subscription(topics.ASSESSMENT_COMPLETED, AssessmentCompleted, proposals.record_assessment),
        Subscription(topics.AUDIT_COMPLETED, AuditCompleted, relay.record_audit),
        Subscription(topics.KPI_SNAPSHOT, KpiSnapshot, relay.relay_snapshot, waits_for=relay.connected),
        Subscription(topics.KPI_ALERT, KpiAlert, relay.relay_alert, waits_for=relay.connected),
    )
    return kafka_router(runtime, service="roadmap", subscriptions=subscriptions, publishes=PUBLISHES)
