"""Leaving preparation in ImplementationPlanWorkflow, time skipped on a real Temporal dev server.

The plan holds at the end of preparation until a communication was sent and a training held (or
the officer recorded why not): the fake check_preparation activity answers what roadmap's database
would, and `buy_in_recorded` is the signal roadmap's API sends when something is recorded.
"""

from datetime import timedelta

from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from services.roadmap.plans.buy_in.service import MISSING_COMMUNICATION, MISSING_TRAINING, PreparationCheck
from services.roadmap.plans.preparation import HOLDING_MILESTONE
from services.roadmap.plans.workflows import ImplementationPlanWorkflow
from tests.integration.plan_workflow_support import (
    FakePlanActivities,
    plan_clock,
    plan_input,
    plan_worker,
    reading,
    replay_and_record,
    start_paused_clock,
    started,
    until_status,
)

__all__ = ["plan_clock"]  # the time-skipping server fixture, shared with the plan tests


class FakeBuyIn(FakePlanActivities):
    """Plan activities whose preparation check answers what the officer has recorded so far."""

    def __init__(self, check: PreparationCheck) -> None:
        super().__init__()
        self.check = check
        self.checks = 0

    @activity.defn(name="check_preparation")
    async def check_preparation(self, clinic_id: str, plan_id: str) -> PreparationCheck:
        self.checks += 1
        return self.check


NOTHING_YET = PreparationCheck(ready=False, missing=[MISSING_COMMUNICATION, MISSING_TRAINING])


async def test_the_pilot_waits_until_staff_were_told_and_trained(plan_clock: WorkflowEnvironment) -> None:
    env = plan_clock
    fake = FakeBuyIn(NOTHING_YET)
    # A small history limit: the plan continues as new while it holds, and must not remind twice.
    plan = plan_input(history_limit=60)
    async with plan_worker(env.client, fake) as task_queue:
        handle = await start_paused_clock(env, plan, task_queue, reading(13.0))
        await env.fast_forward(handle, timedelta(days=28.5))
        held = await until_status(handle, lambda s: s.preparation_holding, "the plan holding in preparation")
        assert held.phase == "preparation"
        assert held.next_milestone == HOLDING_MILESTONE

        await env.fast_forward(handle, timedelta(days=40))  # weeks go by: it still holds, and re-checks daily
        latest = env.client.get_workflow_handle_for(ImplementationPlanWorkflow.run, plan.plan_id)
        still = await until_status(
            latest, lambda s: s.runs > 1 and fake.checks >= 3, "re-checks, across continue-as-new"
        )
        assert still.phase == "preparation" and still.preparation_holding
        [waits] = [notice for notice in fake.notices if notice.message.startswith("the pilot waits")]
        assert waits.kind == "reminder" and "a training session held" in waits.message

        fake.check = PreparationCheck(ready=True)  # the officer records a communication and a training
        await latest.signal(ImplementationPlanWorkflow.buy_in_recorded)
        piloting = await until_status(latest, lambda s: s.phase == "pilot", "the pilot")
        assert not piloting.preparation_holding
        await replay_and_record(env.client, plan.plan_id, "preparation_held")

    assert fake.phases(plan.plan_id) == ["baseline", "preparation", "pilot"]
    pilot = next(change for change in fake.changes if change.phase == "pilot")
    assert (
        pilot.reason
        == "preparation finished after 14 days; buy-in: staff communication sent and training held"
    )
    assert (started(fake, plan.plan_id, "pilot") - started(fake, plan.plan_id, "preparation")).days >= 14 + 40


async def test_a_waiver_lets_the_plan_go_on_and_says_so(plan_clock: WorkflowEnvironment) -> None:
    env = plan_clock
    fake = FakeBuyIn(PreparationCheck(ready=True, waived=True, missing=[MISSING_TRAINING]))
    plan = plan_input()
    async with plan_worker(env.client, fake) as task_queue:
        handle = await start_paused_clock(env, plan, task_queue, reading(13.0))
        await env.fast_forward(handle, timedelta(days=28.5))
        status = await until_status(handle, lambda s: s.phase == "pilot", "the pilot")
        await replay_and_record(env.client, plan.plan_id, "preparation_waived")
    assert not status.preparation_holding
    pilot = next(change for change in fake.changes if change.phase == "pilot")
    assert pilot.reason.endswith(
        "buy-in: the officer recorded why the plan goes on without a training session held"
    )
    assert not any(notice.message.startswith("the pilot waits") for notice in fake.notices)
    # Started on the day preparation ended: a ready plan does not wait for the daily re-check.
    assert (started(fake, plan.plan_id, "pilot") - started(fake, plan.plan_id, "preparation")).days == 14
