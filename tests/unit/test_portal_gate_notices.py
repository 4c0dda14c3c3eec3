"""Which notices belong to the current gate: one rule (pages/rules.current_gate_notices), one window
(from the moment the phase began, no slack), read the same way by the portfolio and by Today."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.pages import portfolio, rules, today
from services.portal.pages.today import WAITING
from services.portal.read_model import projection
from shared import db
from shared.events.intake import ClinicRegistered
from shared.events.roadmap import NoticeKind, PlanNoticeRaised, PlanPhase, PlanPhaseChanged

# The plan came back to the gate at GATE: its pilot was extended at the last gate, seconds before.
GATE = datetime(2026, 11, 27, 15, tzinfo=UTC)
NOW = GATE + timedelta(hours=2)


@dataclass(frozen=True)
class Notice:
    kind: str
    raised_at: datetime
    due_at: datetime | None = None
    message: str = ""


def test_only_decision_notices_raised_since_the_phase_began_belong_to_the_gate() -> None:
    last_gate = Notice("decision_overdue", GATE - timedelta(seconds=20), due_at=GATE - timedelta(seconds=30))
    asked = Notice("decision_needed", GATE, due_at=GATE + timedelta(days=7))  # raised as the phase began
    alert = Notice("kpi_alert", GATE + timedelta(minutes=5), due_at=GATE + timedelta(days=7))
    chased = Notice("decision_overdue", GATE + timedelta(days=7, seconds=1), due_at=GATE + timedelta(days=7))

    assert rules.current_gate_notices([last_gate, asked, alert], phase_since=GATE) == [asked]
    assert rules.current_gate_notices([asked, chased, last_gate], phase_since=GATE) == [chased, asked]
    # SQLite hands the times back without their zone: still UTC, still the same window.
    naive = Notice("decision_needed", GATE.replace(tzinfo=None), due_at=GATE.replace(tzinfo=None))
    assert rules.current_gate_notices([naive], phase_since=GATE) == [naive]


def test_the_last_gates_overdue_notice_does_not_make_this_gate_overdue() -> None:
    last_gate = Notice("decision_overdue", GATE - timedelta(seconds=20), due_at=GATE - timedelta(seconds=30))
    asked = Notice("decision_needed", GATE, due_at=GATE + timedelta(days=7))

    current = rules.current_gate_notices([last_gate, asked], phase_since=GATE)
    assert rules.gate_of("evaluation", current, now=NOW) == rules.GateStatus(
        "decision due", "amber", GATE + timedelta(days=7)
    )
    # Past its due date, or once the plan says so, the same gate is overdue.
    assert rules.gate_of("evaluation", current, now=GATE + timedelta(days=8)).colour == "red"
    chased = Notice("decision_overdue", GATE + timedelta(days=7), due_at=GATE + timedelta(days=7))
    assert rules.gate_of("evaluation", [chased, *current], now=NOW).label == "decision overdue"
    # No notice yet (the event is on its way): due, with no date.
    assert rules.gate_of("evaluation", [], now=NOW) == rules.GateStatus("decision due", "amber", None)


async def test_the_portfolio_and_today_read_the_gate_alike(portal_sessions: db.SessionFactory) -> None:
    clinic_id, initiative_id, plan_id = uuid4(), uuid4(), "plan-gate"

    def notice(
        number: int, kind: NoticeKind, raised_at: datetime, due_at: datetime, message: str
    ) -> PlanNoticeRaised:
        return PlanNoticeRaised(
            clinic_id=clinic_id,
            initiative_id=initiative_id,
            plan_id=plan_id,
            key=f"{plan_id}/{number}/{kind}",
            kind=kind,
            urgent=True,
            phase="evaluation",
            message=message,
            due_at=due_at,
            raised_at=raised_at,
        )

    def phase(name: PlanPhase, previous: PlanPhase, changed_at: datetime) -> PlanPhaseChanged:
        return PlanPhaseChanged(
            clinic_id=clinic_id,
            initiative_id=initiative_id,
            plan_id=plan_id,
            phase=name,
            previous_phase=previous,
            changed_at=changed_at,
            reason="",
        )

    async with portal_sessions() as session:
        await projection.record_clinic(
            session=session,
            event=ClinicRegistered(
                clinic_id=clinic_id,
                officer_id="officer-a",
                name="Harbor",
                specialty="pediatrics",
                locations=1,
            ),
            event_time=GATE - timedelta(days=60),
        )
        for event in (
            phase("evaluation", "pilot", GATE - timedelta(seconds=50)),
            notice(1, "decision_needed", GATE - timedelta(seconds=50), GATE - timedelta(seconds=30), "first"),
            notice(2, "decision_overdue", GATE - timedelta(seconds=20), GATE - timedelta(seconds=30), "late"),
            phase("pilot", "evaluation", GATE - timedelta(seconds=10)),  # the officer extended the pilot
            phase("evaluation", "pilot", GATE),
        ):
            if isinstance(event, PlanPhaseChanged):
                await projection.record_phase_change(session=session, event=event)
            else:
                await projection.record_notice(session=session, event=event)
        await session.commit()
        # Back at the gate, its own notice not here yet: due, not overdue with the last gate's date.
        assert await gates_read(session) == (
            rules.GateStatus("decision due", "amber", None),
            (False, None, WAITING),
        )

        asked = notice(3, "decision_needed", GATE, GATE + timedelta(days=7), "decide on the extended pilot")
        await projection.record_notice(session=session, event=asked)
        await session.commit()
        due = GATE + timedelta(days=7)
        assert await gates_read(session) == (
            rules.GateStatus("decision due", "amber", due),
            (False, due, "decide on the extended pilot"),
        )


async def gates_read(session: AsyncSession) -> tuple[rules.GateStatus, tuple[bool, datetime | None, str]]:
    """The gate as the portfolio's row shows it, and as Today's gate item does."""
    [row], _ = await portfolio.portfolio(
        session=session, officer_id="officer-a", filters=portfolio.Filters(), now=NOW
    )
    [gate] = (await today.today(session=session, officer_id="officer-a", now=NOW)).gates
    return row.gate, (gate.overdue, gate.due_at, gate.message)
