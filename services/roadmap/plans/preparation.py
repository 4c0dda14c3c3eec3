"""Leaving preparation, the workflow side: the plan holds at the end of preparation until a communication
has been sent and a training held, or the officer recorded why not.

Called from ImplementationPlanWorkflow at the end of preparation. Deterministic: what was
recorded is read by an activity; the roadmap API signals `buy_in_recorded` whenever something changes,
and the plan also looks again once a day in case a signal was lost while Temporal was down.
"""

import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.roadmap.plans.activities import ACTIVITY_RETRY
    from services.roadmap.plans.buy_in.activities import BuyInActivities
    from services.roadmap.plans.buy_in.service import PreparationCheck
    from services.roadmap.plans.contracts import PlanInput, PlanState
    from shared.events.roadmap import NoticeKind

RECHECK_EVERY = timedelta(days=1)
CHECK_TIMEOUT = timedelta(seconds=30)
HOLDING_MILESTONE = "preparation holds: a staff communication and a training must be recorded, or why not"

Notify = Callable[[NoticeKind, str], Awaitable[None]]
ContinueIfLong = Callable[[], Awaitable[None]]


async def hold_until_prepared(
    plan: PlanInput, state: PlanState, *, notify: Notify, continue_if_long: ContinueIfLong
) -> str:
    """Wait until the plan may leave preparation; return what the phase change says about buy-in."""
    told = state.preparation_holding  # a run continued-as-new while holding told the officer already
    while True:
        seen = state.buy_in_changes
        check: PreparationCheck = await workflow.execute_activity_method(
            BuyInActivities.check_preparation,
            args=[plan.clinic_id, plan.plan_id],
            start_to_close_timeout=CHECK_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        if check.ready:
            state.preparation_holding = False
            if check.missing:  # ready only because the officer recorded why not
                return "buy-in: the officer recorded why the plan goes on without " + " and ".join(
                    item.split(" (")[0] for item in check.missing
                )
            return "buy-in: staff communication sent and training held"
        state.preparation_holding = True
        if not told:
            told = True
            await notify(
                "reminder",
                "the pilot waits: preparation still needs "
                + " and ".join(check.missing)
                + ", or the officer records why the pilot goes on without it (a waiver)",
            )
        with contextlib.suppress(TimeoutError):  # no news for a day: look again all the same
            await workflow.wait_condition(
                lambda seen=seen: state.buy_in_changes != seen,  # type: ignore[misc]
                timeout=RECHECK_EVERY,
            )
        await continue_if_long()
