"""Roadmap's edge to Temporal: starts plan workflows and talks to the running ones.

The starter of samples-python: apart from the worker, the one module that knows the workflow
classes. Domain code (the service modules) never imports Temporal; the approval is handed
`start_plan`. Temporal's refusals become the domain's errors here, in the workflow's own words.
"""

import logging
from typing import Any

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.exceptions import FailureError
from temporalio.service import RPCError, RPCStatusCode

from services.roadmap.plans.contracts import (
    AdoptionAlert,
    GateDecision,
    HandBaseline,
    KpiReading,
    PlanChange,
    PlanInput,
    PlanStatus,
)
from services.roadmap.plans.workflows import ImplementationPlanWorkflow
from shared.errors import Conflict, Refused
from shared.events.roadmap import FINAL_PHASES
from shared.temporal import (
    CLINIC_ID,
    OFFICER_ID,
    PLAN_KPI,
    PLAN_PHASE,
    TemporalUnavailable,
    unavailable_when_unreachable,
)

log = logging.getLogger(__name__)


def plan_handle(temporal: Client, plan_id: str) -> WorkflowHandle[ImplementationPlanWorkflow, Any]:
    return temporal.get_workflow_handle_for(ImplementationPlanWorkflow.run, plan_id)


async def start_plan(temporal: Client, plan: PlanInput, *, task_queue: str) -> None:
    """Start an approved initiative's plan; a repeated start finds the workflow already there."""
    async with unavailable_when_unreachable("the plan could not be started; nothing was approved"):
        await temporal.start_workflow(
            ImplementationPlanWorkflow.run,
            plan,
            id=plan.plan_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            # What the Temporal UI lists and filters plans by; the workflow keeps the phase current.
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(CLINIC_ID, plan.clinic_id),
                    SearchAttributePair(OFFICER_ID, plan.officer_id),
                    SearchAttributePair(PLAN_PHASE, "baseline"),
                    SearchAttributePair(PLAN_KPI, plan.kpi),
                ]
            ),
            memo={"clinic_name": plan.clinic_name},
        )


async def plan_status(temporal: Client, plan_id: str) -> PlanStatus | None:
    """The workflow's status query, or None when no worker answers (the recorded phase still shows)."""
    try:
        return await plan_handle(temporal, plan_id).query(ImplementationPlanWorkflow.status)
    except RPCError:
        return None


async def running_status(temporal: Client, plan_id: str) -> PlanStatus:
    """The status of a plan that still runs: Conflict once it has ended."""
    live = await plan_status(temporal, plan_id)
    if live is None:
        raise TemporalUnavailable("the plan's worker does not answer; retry shortly")
    if live.phase in FINAL_PHASES:
        raise Conflict(f"plan {plan_id} is {live.phase}; it takes no more changes")
    return live


def _refusal(error: WorkflowUpdateFailedError) -> str:
    """The workflow validator's own sentence, without the exception type Temporal adds around it."""
    cause = error.cause
    return cause.message if isinstance(cause, FailureError) else str(cause)


async def decide(temporal: Client, plan_id: str, decision: GateDecision) -> str:
    """The officer's gate decision: Conflict when the plan is not waiting for one."""
    try:
        # A validated update: the workflow refuses it atomically when it is not at a gate.
        return await plan_handle(temporal, plan_id).execute_update(
            ImplementationPlanWorkflow.decide, decision
        )
    except WorkflowUpdateFailedError as error:
        raise Conflict(_refusal(error)) from error


async def change_plan(temporal: Client, plan_id: str, change: PlanChange) -> PlanStatus:
    """A new target and/or a longer phase: Refused with the workflow's reason when it does not fit."""
    try:
        return await plan_handle(temporal, plan_id).execute_update(
            ImplementationPlanWorkflow.change_plan, change
        )
    except WorkflowUpdateFailedError as error:
        raise Refused(_refusal(error)) from error


async def provide_baseline(temporal: Client, plan_id: str, given: HandBaseline) -> PlanStatus:
    """A baseline entered by hand on the running plan, or why there is none: Refused when it does not fit."""
    try:
        return await plan_handle(temporal, plan_id).execute_update(
            ImplementationPlanWorkflow.provide_baseline, given
        )
    except WorkflowUpdateFailedError as error:
        raise Refused(_refusal(error)) from error


async def pause_or_resume(temporal: Client, plan_id: str, *, pause: bool) -> None:
    """Pause the plan's clock, or resume it: Conflict when it already is so."""
    live = await running_status(temporal, plan_id)
    if live.paused == pause:
        raise Conflict(f"plan {plan_id} is already {'paused' if pause else 'running'}")
    handle = plan_handle(temporal, plan_id)
    await handle.signal(ImplementationPlanWorkflow.pause if pause else ImplementationPlanWorkflow.resume)


async def tell_buy_in_recorded(temporal: Client, plan_id: str) -> None:
    """A plan holding in preparation looks at its buy-in again; a finished plan needs nothing."""
    try:
        await plan_handle(temporal, plan_id).signal(ImplementationPlanWorkflow.buy_in_recorded)
    except RPCError as error:
        # The plan re-reads its buy-in once a day anyway: a lost nudge only delays it.
        log.info("plan %s not told of its buy-in (%s)", plan_id, error.status)


async def relay_to_plan(temporal: Client, plan_id: str, message: KpiReading | AdoptionAlert) -> None:
    """Signal a KPI snapshot or alert to a plan; a plan that has just finished needs nothing more."""
    handle = plan_handle(temporal, plan_id)
    try:
        if isinstance(message, KpiReading):
            await handle.signal(ImplementationPlanWorkflow.kpi_snapshot, message)
        else:
            await handle.signal(ImplementationPlanWorkflow.adoption_alert, message)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise  # transient: the consumer retries, then dead-letters with the reason
        log.info("plan %s already finished; %s dropped", plan_id, type(message).__name__)
