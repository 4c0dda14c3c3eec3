"""The plan starter turns Temporal's answers into the domain's: the workflow's own words, no type names."""

from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from services.roadmap.plans import starter
from services.roadmap.plans.contracts import GateDecision, PlanChange, PlanInput
from shared.errors import Conflict, Refused
from shared.temporal import TemporalUnavailable


@dataclass
class RefusingHandle:
    """A running plan whose validators refuse every update, as ImplementationPlanWorkflow's do."""

    reason: str

    async def execute_update(self, *_: Any) -> Any:
        # What the SDK raises when a validator raises ValueError: str() of the cause adds the type.
        raise WorkflowUpdateFailedError(ApplicationError(self.reason, type="ValueError"))


@dataclass
class FakeTemporal:
    reason: str = ""
    starts: list[Exception] = field(default_factory=list)

    def get_workflow_handle_for(self, _run: object, _workflow_id: str) -> RefusingHandle:
        return RefusingHandle(self.reason)

    async def start_workflow(self, *_: Any, **__: Any) -> None:
        raise self.starts.pop(0)


async def test_a_refused_gate_decision_is_a_conflict_in_the_workflows_words() -> None:
    temporal = cast(
        Client, FakeTemporal(reason="the plan is not waiting for a gate decision: it is in pilot")
    )
    with pytest.raises(Conflict) as refused:
        await starter.decide(temporal, "plan-1", GateDecision(action="continue"))
    assert refused.value.message == "the plan is not waiting for a gate decision: it is in pilot"


async def test_a_change_that_does_not_fit_is_refused_in_the_workflows_words() -> None:
    temporal = cast(Client, FakeTemporal(reason="the target must keep its direction (-30 %)"))
    with pytest.raises(Refused) as refused:
        await starter.change_plan(temporal, "plan-1", PlanChange(target_change_pct=20))
    assert refused.value.message == "the target must keep its direction (-30 %)"


async def test_an_unreachable_temporal_is_unavailable_and_other_refusals_pass_through() -> None:
    plan = PlanInput(
        plan_id="plan-1",
        clinic_id="c",
        initiative_id="i",
        kpi="no_show_rate",
        target_change_pct=-25,
        phase_seconds={},
    )
    temporal = FakeTemporal(
        starts=[
            RPCError("tcp connect error", RPCStatusCode.UNAVAILABLE, b""),
            RPCError("namespace not found", RPCStatusCode.NOT_FOUND, b""),
        ]
    )
    with pytest.raises(TemporalUnavailable, match="not reachable: the plan could not be started"):
        await starter.start_plan(cast(Client, temporal), plan, task_queue="q")
    with pytest.raises(RPCError, match="namespace not found"):
        await starter.start_plan(cast(Client, temporal), plan, task_queue="q")
