"""A clinic with a whole story so far, told as the events the other services publish:
assessed, audited, an initiative proposed and approved, a plan at its gate, weeks of KPIs, an alert.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from aiokafka import AIOKafkaProducer

from services.portal.read_model.models import PortalClinic
from shared.calendar import iso_week
from shared.events.audit import AuditCompleted, AutomationCandidate
from shared.events.envelope import EventBody, envelope_for
from shared.events.intake import AssessmentCompleted, ClinicRegistered
from shared.events.kpi import AdoptionWeek, ClinicActivity, FeedHealth, KpiAlert, KpiSnapshot
from shared.events.roadmap import InitiativeApproved, InitiativeProposed, PlanNoticeRaised, PlanPhaseChanged
from tests.polling import eventually
from tests.services import Platform, officer_token

DIMENSIONS = {
    "leadership_support": 78.0,
    "documented_workflows": 55.0,
    "staff_buy_in": 62.0,
    "data_integration": 48.0,
    "measurement_habit": 40.0,
    "compliance": 85.0,
}
WEEKS = 10


def clinic_story(
    *, clinic_id: UUID, officer_id: str, name: str, now: datetime
) -> list[tuple[EventBody, str]]:
    """The events of one clinic's story, each with the service that publishes it."""
    initiative_id, plan_id = uuid4(), f"plan-{clinic_id}"
    start = now - timedelta(weeks=WEEKS + 1)
    candidates = [
        AutomationCandidate(
            rank=1,
            category="documentation",
            solution="AI scribe",
            hours_per_week=31.5,
            cost_per_week=2840,
            predictability=0.8,
            score=0.9,
            hours_saved_low=9,
            hours_saved_high=14,
        ),
        AutomationCandidate(
            rank=2,
            category="follow_up_calls",
            solution="voice agent",
            hours_per_week=12,
            cost_per_week=610,
            predictability=0.7,
            score=0.6,
            hours_saved_low=4,
            hours_saved_high=7,
        ),
        AutomationCandidate(
            rank=3,
            category="insurance_verification",
            solution="eligibility bot",
            hours_per_week=8.5,
            cost_per_week=420,
            predictability=0.9,
            score=0.5,
            hours_saved_low=3,
            hours_saved_high=5,
        ),
    ]
    events: list[tuple[EventBody, str]] = [
        (
            ClinicRegistered(
                clinic_id=clinic_id, officer_id=officer_id, name=name, specialty="orthopedics", locations=2
            ),
            "intake",
        ),
        (
            AssessmentCompleted(
                clinic_id=clinic_id,
                assessment_id=uuid4(),
                questionnaire_version="v1",
                overall_score=61.3,
                level="foundational",
                dimension_scores=DIMENSIONS,
                completed_at=start,
            ),
            "intake",
        ),
        (
            AuditCompleted(
                clinic_id=clinic_id,
                audit_id=uuid4(),
                window_start=start.date(),
                window_end=start.date() + timedelta(days=6),
                total_hours_per_week=64,
                total_cost_per_week=4300,
                low_confidence=False,
                candidates=candidates,
                completed_at=start + timedelta(days=7),
                staff_logged=9,
                staff_expected=12,
                missing_staff=["physician: 2 of 4", "front desk: 1 of 3"],
            ),
            "audit",
        ),
        (
            InitiativeProposed(
                clinic_id=clinic_id,
                initiative_id=initiative_id,
                rank=1,
                problem="documentation",
                solution="AI scribe",
                kpi="documentation_minutes_per_note",
                hours_per_week=31.5,
                cost_per_week=2840,
                suggested_target_pct=-30,
                recommended=True,
                proposed_at=start + timedelta(days=7),
            ),
            "roadmap",
        ),
        (
            InitiativeProposed(
                clinic_id=clinic_id,
                initiative_id=uuid4(),
                rank=2,
                problem="follow_up_calls",
                solution="voice agent",
                kpi="missed_call_rate",
                hours_per_week=12,
                cost_per_week=610,
                suggested_target_pct=-50,
                proposed_at=start + timedelta(days=7),
            ),
            "roadmap",
        ),
        (
            InitiativeApproved(
                clinic_id=clinic_id,
                initiative_id=initiative_id,
                problem="documentation",
                owner="pm-1",
                kpi="documentation_minutes_per_note",
                baseline_start=(start + timedelta(days=8)).date(),
                baseline_end=(start + timedelta(days=21)).date(),
                target_change_pct=-30,
                pilot_group=["dr-1", "dr-2"],
                approved_at=start + timedelta(days=8),
                plan_id=plan_id,
            ),
            "roadmap",
        ),
    ]
    phases = [("baseline", 8), ("preparation", 22), ("pilot", 36), ("evaluation", 7 * WEEKS + 6)]
    previous = None
    for phase, day in phases:
        events.append(
            (
                PlanPhaseChanged(
                    clinic_id=clinic_id,
                    initiative_id=initiative_id,
                    plan_id=plan_id,
                    phase=phase,
                    previous_phase=previous,
                    reason=f"{phase} started",
                    changed_at=start + timedelta(days=day),
                ),
                "roadmap",
            )
        )
        previous = phase
    events.append(
        (
            PlanNoticeRaised(
                clinic_id=clinic_id,
                initiative_id=initiative_id,
                plan_id=plan_id,
                key=f"{plan_id}:decision_needed:1",
                kind="decision_needed",
                urgent=True,
                phase="evaluation",
                message="The pilot ended: 11.6 minutes per note against a "
                "target of 10.1 (baseline 14.4). Decide: continue, extend once, or stop.",
                due_at=now + timedelta(days=3),
                raised_at=now - timedelta(hours=2),
            ),
            "roadmap",
        )
    )
    for index in range(WEEKS):
        monday = (start + timedelta(weeks=index)).date()
        monday -= timedelta(days=monday.weekday())
        minutes = 14.4 if index < 4 else 14.4 - (index - 3) * 0.5
        events.append(
            (
                KpiSnapshot(
                    clinic_id=clinic_id,
                    initiative_id=initiative_id,
                    kpi="documentation_minutes_per_note",
                    week=iso_week(monday),
                    value=minutes,
                    baseline=14.4,
                    target=10.08,
                    progress=(14.4 - minutes) / 4.32,
                    sample_size=180 + index * 5,
                ),
                "kpi",
            )
        )
        adoption = 0.1 if index < 4 else [0.35, 0.5, 0.55, 0.48, 0.4, 0.3][index - 4]
        events.append(
            (
                KpiSnapshot(
                    clinic_id=clinic_id,
                    initiative_id=initiative_id,
                    kpi="ai_adoption_rate",
                    week=iso_week(monday),
                    value=adoption,
                    sample_size=12,
                ),
                "kpi",
            )
        )
    shares = [0.1] * 4 + [0.35, 0.5, 0.55, 0.48, 0.4, 0.3]
    events.append(
        (
            ClinicActivity(
                clinic_id=clinic_id,
                as_of=now.date(),
                last_event_day=now.date(),
                feeds=[
                    FeedHealth(
                        feed="notes",
                        last_event_day=now.date(),
                        events_last_7_days=560,
                        usual_events_per_day=80,
                        stale=False,
                    ),
                    FeedHealth(
                        feed="calls",
                        last_event_day=now.date() - timedelta(days=1),
                        events_last_7_days=300,
                        usual_events_per_day=45,
                        stale=False,
                    ),
                ],
                adoption=[
                    AdoptionWeek(
                        week=iso_week((start + timedelta(weeks=index)).date()),
                        notes_signed=560,
                        notes_ai_assisted=round(560 * share),
                        ai_active_staff=2 if index < 4 else 6,
                    )
                    for index, share in list(enumerate(shares))[-8:]  # kpi sends the last 8 weeks
                ],
            ),
            "kpi",
        )
    )
    events.append(
        (
            KpiAlert(
                clinic_id=clinic_id,
                initiative_id=initiative_id,
                alert_id=uuid4(),
                kind="adoption_decline",
                kpi="ai_adoption_rate",
                week=iso_week(now.date() - timedelta(days=7)),
                message="AI scribe use fell from 55 % to 30 % of visits in three weeks.",
                evidence={"from": 0.55, "to": 0.3},
                raised_at=now - timedelta(days=1),
            ),
            "kpi",
        )
    )
    return events


async def tell(kafka: str, events: list[tuple[EventBody, str]], clinic_id: UUID) -> None:
    """Publish the story on one producer, as the owning services' outbox relays would."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for event, service in events:
            envelope = envelope_for(event, source=f"/faio/{service}", subject=str(clinic_id))
            await producer.send_and_wait(
                event.topic.name,
                event.model_dump_json().encode(),
                key=str(clinic_id).encode(),
                headers=[(name, value.encode()) for name, value in envelope.to_headers().items()],
            )
    finally:
        await producer.stop()


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class StrategyStack:
    platform: Platform
    portal_url: str
    kafka: str


def candidate(rank: int, category: str, hours: float, cost: float) -> AutomationCandidate:
    return AutomationCandidate(
        rank=rank,
        category=category,
        solution="",
        hours_per_week=hours,
        cost_per_week=cost,
        predictability=0.8,
        score=cost / 10,
        hours_saved_low=hours * 0.3,
        hours_saved_high=hours * 0.5,
    )


async def assessed_and_audited_clinic(stack: StrategyStack, officer: str, name: str) -> UUID:
    """A clinic as intake and audit announce it; returns once roadmap proposed and the portal knows it."""
    clinic_id, now = uuid4(), datetime.now(UTC)
    await tell(
        stack.kafka,
        [
            (
                ClinicRegistered(
                    clinic_id=clinic_id,
                    officer_id=officer,
                    name=name,
                    specialty="family medicine",
                    locations=2,
                    systems={"emr": "athenahealth", "phone": "RingCentral"},
                ),
                "intake",
            ),
            (
                AssessmentCompleted(
                    clinic_id=clinic_id,
                    assessment_id=uuid4(),
                    questionnaire_version="1",
                    overall_score=63,
                    level="ready",
                    dimension_scores={
                        "leadership": 70,
                        "workflows": 55,
                        "staff": 48,
                        "data": 66,
                        "compliance": 76,
                    },
                    completed_at=now,
                ),
                "intake",
            ),
            (
                AuditCompleted(
                    clinic_id=clinic_id,
                    audit_id=uuid4(),
                    window_start=now.date(),
                    window_end=now.date(),
                    total_hours_per_week=47.5,
                    total_cost_per_week=2_950,
                    low_confidence=False,
                    completed_at=now,
                    candidates=[
                        candidate(1, "billing", 21, 1_150),
                        candidate(2, "documentation", 18.5, 1_500),
                        candidate(3, "appointment_scheduling", 8, 300),
                    ],
                ),
                "audit",
            ),
        ],
        clinic_id,
    )
    roadmap = stack.platform["roadmap"].http
    headers = {"Authorization": f"Bearer {officer_token(officer)}"}

    async def proposed() -> Any:
        answer = await roadmap.get(f"/v1/clinics/{clinic_id}/initiatives", headers=headers)
        body = answer.json() if answer.status_code == 200 else None
        return body if body and body["initiatives"] and not body["waiting_for"] else None

    async def portal_knows() -> Any:
        async with stack.platform["portal"].runtime.sessions() as session:
            return await session.get(PortalClinic, clinic_id)

    await eventually(proposed, within=60, what="roadmap's proposals")
    await eventually(portal_knows, within=60, what="the portal's read model")
    return clinic_id
