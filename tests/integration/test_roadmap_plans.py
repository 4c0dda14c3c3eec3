"""The implementation plan workflow over whole multi-month plans, under time skipping.

Each scenario runs a plan on the time-skipping dev server (months pass in seconds) with fake
activities that record what the plan asked for, then replays its recorded history against
the current workflow code. The histories recorded with FAIO_RECORD_HISTORIES=1
(tests/integration/histories/) are replayed as well.
"""

import asyncio
from datetime import timedelta

import pytest
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from services.roadmap.plans.contracts import AdoptionAlert, GateDecision, PlanChange
from services.roadmap.plans.workflows import ImplementationPlanWorkflow
from tests.integration.plan_workflow_support import (
    ALL_PHASES,
    DEFAULT_CHECKINS,
    HISTORIES_DIR,
    FakePlanActivities,
    plan_clock,
    plan_input,
    plan_worker,
    reading,
    refusal,
    replay_and_record,
    sign_off,
    start_paused_clock,
    started,
    status_of,
    until_status,
)

__all__ = ["plan_clock"]  # a fixture: pytest finds it here


async def test_target_met_runs_every_phase_and_suggests_the_next_initiative(
    plan_clock: WorkflowEnvironment,
) -> None:
    env = plan_clock
    fake = FakePlanActivities()
    # A small history limit forces continue-as-new several times over the plan's 30 weeks.
    plan = plan_input(history_limit=120)
    async with plan_worker(env.client, fake) as task_queue:
        handle = await env.client.start_workflow(
            ImplementationPlanWorkflow.run,
            plan,
            id=plan.plan_id,
            task_queue=task_queue,
            start_signal="kpi_snapshot",
            start_signal_args=[reading(14.0)],
        )
        at_gate = await sign_off(env.client, plan.plan_id)
        result = await handle.result()
        final = await status_of(
            env.client.get_workflow_handle_for(ImplementationPlanWorkflow.run, plan.plan_id)
        )
        runs = await replay_and_record(env.client, plan.plan_id, "target_met")

    assert result.outcome == "done"
    assert result.next_initiative_id == f"next-of-{plan.clinic_id}"
    assert fake.phases(plan.plan_id) == ALL_PHASES
    assert [change.seq for change in fake.changes] == list(range(1, 8))
    assert fake.notice_kinds(plan.plan_id).count("checkin") == DEFAULT_CHECKINS
    assert len({notice.key for notice in fake.notices}) == len(fake.notices)
    for kind in ("communication", "training", "survey", "next_initiative"):
        assert kind in fake.notice_kinds(plan.plan_id)
    # The survey is reminded for each round: before the pilot, the gate round, the sustain round.
    surveys = [n.message for n in fake.notices if n.plan_id == plan.plan_id and n.kind == "survey"]
    assert len(surveys) == 3 and "gate round" in surveys[1] and "sustain round" in surveys[2]
    assert (started(fake, plan.plan_id, "pilot") - started(fake, plan.plan_id, "baseline")).days == 28
    # (Later phases are not timed here: the experimental time-skipping server moves a continued-as-new
    # run's virtual clock forward once more; the 25 check-ins show the phases kept their lengths.)
    assert final.runs == runs > 1
    assert final.latest_kpi_progress == pytest.approx(1.0)
    # Progress alone is no evidence: without the weeks' sums the gate cannot pass, the officer decides.
    assert at_gate.gate_evidence["outcome"] == "inconclusive"
    assert at_gate.gate_evidence["method"].startswith("no interval")
    assert final.signed_off_by == "officer-test" and final.signed_off_at
    # kpi heard the target once, locked as the pilot began, across every continue-as-new.
    assert [(told.target_change_pct, told.locked) for told in fake.targets] == [(-30.0, True)]


async def test_half_way_waits_for_the_officer_to_extend_then_for_the_sign_off(
    plan_clock: WorkflowEnvironment,
) -> None:
    env = plan_clock
    fake = FakePlanActivities()
    plan = plan_input()
    async with plan_worker(env.client, fake) as task_queue:
        handle = await start_paused_clock(env, plan, task_queue, reading(16.4))  # -18 %: 60 % of the way
        await env.fast_forward(handle, timedelta(days=71))
        status = await until_status(handle, lambda s: s.awaiting_decision, "the gate waiting for the officer")
        assert status.gate_evidence["outcome"] == "inconclusive"
        await handle.execute_update(
            ImplementationPlanWorkflow.decide,
            GateDecision(action="extend", extend_days=21, decided_by="officer-1"),
        )
        status = await until_status(handle, lambda s: s.pilot_extended, "the pilot extended")
        assert status.phase == "pilot"
        assert status.phase_length_days == 21

        await handle.signal(ImplementationPlanWorkflow.kpi_snapshot, reading(13.5, week="2027-W08"))
        await env.fast_forward(handle, timedelta(days=22))
        signed = await sign_off(env.client, plan.plan_id, by="officer-1")
        assert (signed.gate_evidence["outcome"], signed.extensions) == ("inconclusive", 1)
        assert len(signed.gate_history) == 2
        await env.fast_forward(handle, timedelta(days=400))
        result = await handle.result()
        await replay_and_record(env.client, plan.plan_id, "extended_pilot")

    assert result.outcome == "done"
    assert fake.phases(plan.plan_id) == [
        "baseline",
        "preparation",
        "pilot",
        "evaluation",
        "pilot",
        "evaluation",
        "rollout",
        "sustain",
        "done",
    ]
    assert fake.notice_kinds(plan.plan_id).count("decision_needed") == 2
    assert "(officer-1)" in fake.changes[4].reason


async def test_gate_failed_escalates_then_officer_stops(plan_clock: WorkflowEnvironment) -> None:
    env = plan_clock
    fake = FakePlanActivities()
    plan = plan_input()
    async with plan_worker(env.client, fake) as task_queue:
        handle = await start_paused_clock(env, plan, task_queue, reading(19.0))  # -5 %: 17 % of the way
        assert "not waiting for a gate decision" in await refusal(
            handle.execute_update(ImplementationPlanWorkflow.decide, GateDecision(action="stop"))
        )

        # Sent as a signal before the gate, a decision is ignored: the plan still stops at its gate.
        await handle.signal(ImplementationPlanWorkflow.gate_decision, GateDecision(action="stop"))
        await env.fast_forward(handle, timedelta(days=71))
        status = await until_status(handle, lambda s: s.awaiting_decision, "the gate waiting for the officer")
        assert status.phase == "evaluation"
        assert status.next_milestone == "officer's gate decision"
        await env.fast_forward(handle, timedelta(days=8))
        await until_status(handle, lambda s: s.awaiting_decision, "still waiting after a week")
        assert "decision_overdue" in fake.notice_kinds(plan.plan_id)

        assert "continue, extend or stop" in await refusal(
            handle.execute_update(ImplementationPlanWorkflow.decide, GateDecision(action="shrug"))
        )
        await handle.execute_update(
            ImplementationPlanWorkflow.decide, GateDecision(action="stop", note="staff found no time gain")
        )
        result = await handle.result()
        await replay_and_record(env.client, plan.plan_id, "gate_failed_stop")

    assert result.outcome == "stopped"
    assert result.next_initiative_id == ""
    assert fake.phases(plan.plan_id) == ["baseline", "preparation", "pilot", "evaluation", "stopped"]
    # The note travels beside the phase change (to roadmap's own record), never inside its reason.
    stopped = fake.changes[-1]
    assert (stopped.decision, stopped.note) == ("stop", "staff found no time gain")
    assert "staff found no time gain" not in stopped.reason
    assert fake.notice_kinds(plan.plan_id).count("decision_needed") == 1


async def test_pause_stops_the_clock_and_resume_carries_on(
    plan_clock: WorkflowEnvironment,
) -> None:
    env = plan_clock
    fake = FakePlanActivities()
    plan = plan_input()
    async with plan_worker(env.client, fake) as task_queue:
        handle = await start_paused_clock(env, plan, task_queue, reading(13.0))
        await env.fast_forward(handle, timedelta(days=20.5))
        await handle.signal(ImplementationPlanWorkflow.pause)
        before = await until_status(handle, lambda s: s.paused, "paused")
        assert before.phase == "preparation"
        assert before.day_in_phase == 6
        await env.fast_forward(handle, timedelta(days=30))
        during = await status_of(handle)
        assert during.phase == "preparation"
        assert during.day_in_phase == 6
        assert during.next_milestone.startswith("paused")

        assert "keep its direction" in await refusal(
            handle.execute_update(ImplementationPlanWorkflow.change_plan, PlanChange(target_change_pct=25))
        )
        changed = await handle.execute_update(
            ImplementationPlanWorkflow.change_plan, PlanChange(target_change_pct=-35, extend_phase_days=2)
        )
        assert changed.target_change_pct == -35
        assert changed.phase_length_days == 16

        await handle.signal(ImplementationPlanWorkflow.resume)
        await env.fast_forward(handle, timedelta(days=100))
        await sign_off(env.client, plan.plan_id)
        await env.fast_forward(handle, timedelta(days=400))
        result = await handle.result()
        await replay_and_record(env.client, plan.plan_id, "pause_resume")

    assert result.outcome == "done"
    assert fake.phases(plan.plan_id) == ALL_PHASES
    preparation = started(fake, plan.plan_id, "pilot") - started(fake, plan.plan_id, "preparation")
    assert preparation.days == 14 + 2 + 30  # its 14 days, the 2-day extension, and the 30 paused days


async def test_adoption_decline_in_sustain_retrains_then_escalates(
    plan_clock: WorkflowEnvironment,
) -> None:
    env = plan_clock
    fake = FakePlanActivities()
    plan = plan_input()

    def alert(n: int, week: str) -> AdoptionAlert:
        return AdoptionAlert(
            alert_id=f"alert-{plan.plan_id}-{n}",
            kind="adoption_decline",
            kpi="ai_weekly_active_staff",
            week=week,
            message="weekly active staff fell from 9 to 5",
        )

    async with plan_worker(env.client, fake) as task_queue:
        handle = await start_paused_clock(env, plan, task_queue, reading(13.0))
        await env.fast_forward(handle, timedelta(days=71))
        await sign_off(env.client, plan.plan_id)
        await env.fast_forward(handle, timedelta(days=57))
        await until_status(handle, lambda s: s.phase == "sustain", "sustain")

        await handle.signal(ImplementationPlanWorkflow.adoption_alert, alert(1, "2027-W14"))
        first = await until_status(handle, lambda s: s.retrainings == 1, "a retraining")
        assert first.escalations == 0
        # A second signal of the same week (the stopped clinicians beside the share) is the same week.
        await handle.signal(ImplementationPlanWorkflow.adoption_alert, alert(3, "2027-W14"))
        for _ in range(200):
            if "kpi_alert" in fake.notice_kinds(plan.plan_id):
                break
            await asyncio.sleep(0.05)
        same_week = await status_of(handle)
        assert (same_week.escalations, same_week.alerts_in_a_row, same_week.retrainings) == (0, 1, 1)
        await env.fast_forward(handle, timedelta(days=7))
        await handle.signal(ImplementationPlanWorkflow.adoption_alert, alert(1, "2027-W14"))  # redelivered
        await handle.signal(ImplementationPlanWorkflow.adoption_alert, alert(2, "2027-W15"))
        second = await until_status(handle, lambda s: s.escalations == 1, "an escalation")
        assert second.retrainings == 1
        assert second.alerts_in_a_row == 2

        await env.fast_forward(handle, timedelta(days=400))
        result = await handle.result()
        await replay_and_record(env.client, plan.plan_id, "adoption_decline")

    assert result.outcome == "done"
    kinds = fake.notice_kinds(plan.plan_id)
    assert kinds.count("retraining") == 1
    assert kinds.count("adoption_escalation") == 1
    assert kinds.index("retraining") < kinds.index("adoption_escalation")


async def test_recorded_histories_replay_against_the_current_code() -> None:
    """The recorded histories (FAIO_RECORD_HISTORIES=1) replay against the current code: no nondeterminism.

    Re-recorded whenever the workflow changes until the first release; from then on a change that
    does not replay goes behind a patch (plans/patches.py, docs/release.md) and the histories stay.
    """
    paths = sorted(HISTORIES_DIR.glob("plan_*.json"))
    scenarios = {path.name.split("_run")[0] for path in paths}
    assert scenarios >= {
        "plan_target_met",
        "plan_extended_pilot",
        "plan_gate_failed_stop",
        "plan_pause_resume",
        "plan_adoption_decline",
        "plan_gate_pass_signed_off",  # test_roadmap_gate.py
        "plan_gate_inconclusive_extended",
        "plan_gate_fail_stopped",
        "plan_pilot_held_for_baseline",  # test_roadmap_baseline.py
        "plan_preparation_held",  # test_roadmap_buy_in_plan.py
        "plan_preparation_waived",
    }
    histories = [WorkflowHistory.from_json(path.stem, path.read_text()) for path in paths]
    replayer = Replayer(workflows=[ImplementationPlanWorkflow])
    for history in histories:
        await replayer.replay_workflow(history)  # raises on any nondeterminism
