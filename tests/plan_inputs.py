"""An approved plan's workflow input, built as roadmap's approval builds it, with phases in seconds.

The fault tests (a Temporal restart, a killed worker) need real plans that finish in a test's time.
"""

import uuid

from services.roadmap.initiatives.approval import plan_input_for
from services.roadmap.initiatives.models import ApprovalIn, PhaseLengths
from services.roadmap.models import Initiative
from services.roadmap.plans.contracts import PlanInput, plan_workflow_id
from shared import clock
from shared.calendar import UTC_CALENDAR

SECOND = 1 / 86_400  # phase lengths are given in days


def documentation_initiative(*, clinic_id: uuid.UUID | None = None) -> Initiative:
    """The audit's top-ranked problem at a clinic: documentation time, solved by an AI scribe."""
    return Initiative(
        id=uuid.uuid4(),
        source_audit_id=uuid.uuid4(),
        clinic_id=clinic_id or uuid.uuid4(),
        rank=1,
        problem="documentation",
        solution="AI scribe",
        hours_per_week=20,
        cost_per_week=1500,
        kpi="documentation_minutes_per_note",
        suggested_target_pct=-10,
        system="emr",
        integrates=True,
        impact_per_week=600,
        readiness=0.7,
        score=420,
    )


def seconds_long_plan(
    *, pilot_seconds: float, checkin_seconds: float, clinic_id: uuid.UUID | None = None
) -> PlanInput:
    """An approved documentation plan whose phases last a second each, the pilot `pilot_seconds`."""
    initiative = documentation_initiative(clinic_id=clinic_id)
    approval = ApprovalIn(
        owner="staff-lead-7",
        target_change_pct=-10,
        phase_days=PhaseLengths(
            baseline=1 * SECOND,
            preparation=1 * SECOND,
            pilot=pilot_seconds * SECOND,
            rollout=1 * SECOND,
            sustain=1 * SECOND,
        ),
        checkin_days=checkin_seconds * SECOND,
    )
    today = clock.today()
    return plan_input_for(
        initiative,
        approval,
        plan_workflow_id(initiative.id),
        calendar=UTC_CALENDAR,
        baseline=(today, today),
    )
