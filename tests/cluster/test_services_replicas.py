"""Two replicas of every service and worker (intake, audit, roadmap, kpi, portal; the audit and
roadmap workers) as real processes, each service on one PostgreSQL database and one consumer group,
behind a round-robin balancer, on the three-broker cluster and a Temporal dev server.

Plans started through the roadmap API, with phases of seconds, reach their gates while one roadmap
worker is killed with SIGKILL: every plan's pilot timer fires on the other worker and each gate is
judged exactly once. The killed worker is started again (as an orchestrator restarts a crashed
pod); then one replica of every service, the other audit worker and the roadmap worker that judged
the gates are killed, and the README's walk-through (intake -> audit -> roadmap -> kpi -> portal,
through `faio`) still runs as printed on the survivors, its plan on the restarted roadmap worker.
Everything killed is started again and rejoins: every consumer group of every service has its two
members again, each restarted worker polls its task queue, and no gate was judged twice meanwhile.
"""

import asyncio
import signal
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import col, select
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.testing import WorkflowEnvironment

from deploy.local.kafka import KafkaCluster
from deploy.local.postgres import PostgresServer
from services.roadmap.models import RoadmapPlanNotice, RoadmapPlanTransition
from services.roadmap.settings import RoadmapSettings
from shared import db
from shared.auth import issue_token
from shared.events import ClinicRegistered
from shared.events.audit import AuditCompleted
from shared.events.intake import AssessmentCompleted
from tests.browser.story import candidate, tell
from tests.cluster.balancer import Balancer
from tests.cluster.groups import consumer_groups, until_members
from tests.e2e.stack import HTTP_SERVICES, WORKERS, Stack, running_stack
from tests.e2e.test_readme_walkthrough import walk_through
from tests.polling import eventually

OFFICER = "officer-cluster-plans"
PLANS = 4
PILOT_SECONDS = 40.0  # long enough for every plan to be in its pilot before the first gate is due
DAY = 86_400.0
SERVICES = (*HTTP_SERVICES, "portal")
GROUPS = [group for service in SERVICES for group in consumer_groups(service)]


async def clinic_with_findings(http: httpx.AsyncClient, bootstrap: str) -> uuid.UUID:
    """A clinic, its assessment and its audit's candidates: roadmap proposes initiatives from them.

    The clinic first: its systems answer the approval's integration question, and an audit
    consumed before them (another topic, maybe another replica) would leave it unanswered."""
    clinic_id = uuid.uuid4()
    now = datetime.now(UTC)
    clinic = ClinicRegistered(
        clinic_id=clinic_id,
        officer_id=OFFICER,
        name="Lakeside Pediatrics",
        specialty="pediatrics",
        locations=1,
        systems={"emr": "athenahealth", "phone": "RingCentral"},
    )
    await tell(bootstrap, [(clinic, "intake")], clinic_id)

    async def known() -> bool:
        return (await http.get(f"/v1/clinics/{clinic_id}/initiatives")).status_code == 200

    await eventually(known, within=120, what=f"roadmap to know clinic {clinic_id}")
    assessment = AssessmentCompleted(
        clinic_id=clinic_id,
        assessment_id=uuid.uuid4(),
        questionnaire_version="1",
        overall_score=70,
        level="ready",
        dimension_scores={"data": 80, "staff": 60},
        completed_at=now,
    )
    audit = AuditCompleted(
        clinic_id=clinic_id,
        audit_id=uuid.uuid4(),
        window_start=now.date(),
        window_end=now.date(),
        total_hours_per_week=60,
        total_cost_per_week=3_000,
        low_confidence=False,
        candidates=[candidate(1, "documentation", 20, 1_500)],
        completed_at=now,
    )
    await tell(bootstrap, [(assessment, "intake"), (audit, "audit")], clinic_id)
    return clinic_id


async def start_plan(http: httpx.AsyncClient, clinic_id: uuid.UUID) -> str:
    """Through the roadmap API: approve the clinic's initiative with phases of seconds, its baseline
    given and the officer's reason to go on without buy-in records; return the plan id."""

    async def proposed() -> Any:
        listing = (await http.get(f"/v1/clinics/{clinic_id}/initiatives")).json()
        return None if listing.get("waiting_for") else listing.get("recommended_id")

    await eventually(proposed, within=120, what=f"initiatives of clinic {clinic_id}")
    recommended = await proposed()
    second = 1 / DAY
    approval = {
        "owner": "staff-lead-7",
        "target_change_pct": -10,
        "phase_days": {
            "baseline": second,
            "preparation": 2 * second,
            "pilot": PILOT_SECONDS * second,
            "rollout": second,
            "sustain": second,
        },
        "checkin_days": PILOT_SECONDS / 4 * second,
        "baseline": {"source": "manual_count", "value": 20},
    }
    approved = await http.post(f"/v1/initiatives/{recommended}/approve", json=approval)
    assert approved.status_code == 201, approved.text
    plan_id: str = approved.json()["plan_id"]
    waiver = {"reason": "the cluster suite rehearses timers, not the staff's buy-in"}

    async def waived() -> bool:  # the plan's row is written as its workflow starts
        answer = await http.put(f"/v1/plans/{plan_id}/buy-in/preparation-waiver", json=waiver)
        assert answer.status_code in (200, 404), answer.text
        return answer.status_code == 200

    await eventually(waived, within=60, what=f"the buy-in waiver of plan {plan_id}")
    return plan_id


def kill(stack: Stack, name: str) -> None:
    process = stack.processes[name]
    process.send_signal(signal.SIGKILL)
    process.wait()


async def polling(temporal: WorkflowEnvironment, queue: str, pid: int) -> bool:
    """Whether the process `pid` polls the workflow task queue `queue` (the SDK's identity is pid@host)."""
    described = await temporal.client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=temporal.client.namespace,
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return any(poller.identity.startswith(f"{pid}@") for poller in described.pollers)


async def rejoined(
    stack: Stack, cluster: KafkaCluster, temporal: WorkflowEnvironment, names: list[str]
) -> float:
    """Seconds until the restarted `names` are back: services ready, every consumer group at two
    members (the killed member's session expired, the new one assigned), each worker polling."""
    began = time.monotonic()

    async def back() -> bool:
        for name in names:
            service = name.rsplit("-", 1)[0]
            if service in WORKERS:
                if not await polling(
                    temporal, stack.task_queues[WORKERS[service]], stack.processes[name].pid
                ):
                    return False
            else:
                url = stack.replica_urls[service][int(name.rsplit("-", 1)[1]) - 1]
                try:
                    if (await asyncio.to_thread(httpx.get, f"{url}/readyz", timeout=2)).status_code != 200:
                        return False
                except httpx.TransportError:
                    return False
        return True

    await eventually(back, within=300, what=f"{', '.join(names)} ready and polling")
    await until_members(cluster.bootstrap, GROUPS, 2, within=300)
    return time.monotonic() - began


async def test_every_service_twice_a_worker_killed_at_the_gates_and_a_replica_of_each(
    cluster: KafkaCluster, postgres: PostgresServer, temporal: WorkflowEnvironment, tmp_path: Path
) -> None:
    databases = {name: postgres.create_database(f"cluster_{name}") for name in SERVICES}
    sessions = db.create_session_factory(db.create_engine(databases["roadmap"]))
    target = temporal.client.service_client.config.target_host
    token = issue_token(RoadmapSettings(environment="test"), officer_id=OFFICER)
    with (
        Balancer() as balancer,
        running_stack(
            kafka=cluster.bootstrap,
            temporal=target,
            data_dir=tmp_path,
            services=SERVICES,
            replicas=2,
            database_urls=databases,
            front=balancer.front,
            ready_within=600,  # sixteen processes importing at once on two shared cores
        ) as stack,
    ):
        async with httpx.AsyncClient(
            base_url=stack.urls["roadmap"], headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            clinics = [await clinic_with_findings(http, cluster.bootstrap) for _ in range(PLANS)]
            plan_ids = list(await asyncio.gather(*(start_plan(http, clinic) for clinic in clinics)))

        async def transitions() -> dict[str, list[RoadmapPlanTransition]]:
            async with sessions() as session:
                rows = (
                    await session.exec(
                        select(RoadmapPlanTransition).where(RoadmapPlanTransition.plan_id.in_(plan_ids))  # type: ignore[attr-defined]
                    )
                ).all()
            by_plan: dict[str, list[RoadmapPlanTransition]] = {plan: [] for plan in plan_ids}
            for row in sorted(rows, key=lambda row: row.seq):
                by_plan[row.plan_id].append(row)
            return by_plan

        def entered(rows: list[RoadmapPlanTransition], phase: str) -> datetime | None:
            return next((row.changed_at.replace(tzinfo=UTC) for row in rows if row.phase == phase), None)

        async def all_in_pilot() -> bool:
            return all(entered(rows, "pilot") for rows in (await transitions()).values())

        await eventually(all_in_pilot, within=120, what="every plan in its pilot")
        pilots = {plan: entered(rows, "pilot") for plan, rows in (await transitions()).items()}
        due = {
            plan: started + timedelta(seconds=PILOT_SECONDS) for plan, started in pilots.items() if started
        }
        first_due = min(due.values())
        await asyncio.sleep(max((first_due - datetime.now(UTC)).total_seconds() - 3, 0))
        killed_at = datetime.now(UTC)
        kill(stack, "roadmap-worker-1")  # the gates fall due while it is gone
        due_while_down = sum(1 for at in due.values() if at >= killed_at)

        async def gate_notices() -> list[RoadmapPlanNotice]:
            """The officer told to decide: one notice per judged gate."""
            async with sessions() as session:
                statement = select(RoadmapPlanNotice).where(
                    col(RoadmapPlanNotice.plan_id).in_(plan_ids), RoadmapPlanNotice.kind == "decision_needed"
                )
                return list((await session.exec(statement)).all())

        async def every_gate_judged() -> bool:
            timers_fired = all(entered(rows, "evaluation") for rows in (await transitions()).values())
            return timers_fired and {notice.plan_id for notice in await gate_notices()} == set(plan_ids)

        await eventually(every_gate_judged, within=180, what=f"every plan's gate (logs: {tmp_path})")
        await asyncio.sleep(5)  # a gate judged twice would show by now
        by_plan = await transitions()
        notices = await gate_notices()
        late = {
            plan: (entered(rows, "evaluation") or killed_at) - due[plan] for plan, rows in by_plan.items()
        }
        stack.start("roadmap-worker-1")
        worker_back = await rejoined(stack, cluster, temporal, ["roadmap-worker-1"])

        # One replica of every service, the other audit worker and the roadmap worker that judged
        # the gates, killed: the flow on the rest, its plan on the restarted roadmap worker.
        smoke_began = time.monotonic()
        second_round = [f"{service}-1" for service in SERVICES] + ["audit-worker-1", "roadmap-worker-2"]
        for name in second_round:
            kill(stack, name)
        # Kafka hands a dead member's partitions over when its session expires: until then the
        # events on them wait (none lost), and the walk-through's next step would not see them yet.
        await until_members(cluster.bootstrap, GROUPS, 1, within=300)
        takeover_seconds = time.monotonic() - smoke_began
        await asyncio.to_thread(walk_through, stack, tmp_path / "work")
        smoke_seconds = time.monotonic() - smoke_began
        for name in second_round:
            stack.start(name)
        all_back = await rejoined(stack, cluster, temporal, second_round)
        await asyncio.sleep(5)  # a gate judged again by a restarted worker's replay would show by now
        notices = await gate_notices()
        by_plan = await transitions()

    gates = Counter(notice.plan_id for notice in notices)
    evaluations = Counter(
        row.plan_id for rows in by_plan.values() for row in rows if row.phase == "evaluation"
    )
    worst = max(late.values())
    print(
        "\n| fault | plans | gates due while it was down | gates judged | judged twice | "
        "latest gate after its due time |\n|---|---|---|---|---|---|"
    )
    print(
        f"| a roadmap worker killed -9 during gates | {PLANS} | {due_while_down} | {len(gates)} | "
        f"{sum(1 for n in gates.values() if n > 1)} | {worst.total_seconds():.1f} s |"
    )
    print(f"the killed roadmap worker started again: polling its task queue after {worker_back:.0f} s")
    print(
        f"one replica of each of {', '.join(SERVICES)}, the audit worker and the other roadmap worker "
        f"killed -9: the survivors held every consumer group's partitions after {takeover_seconds:.0f} s "
        f"and the README walk-through ran on them in {smoke_seconds:.0f} s in all; all started "
        f"again, every service ready, each of {len(GROUPS)} consumer groups at two members "
        f"and each worker polling after {all_back:.0f} s"
    )
    assert due_while_down >= 1, (killed_at, due)
    assert set(gates) == set(plan_ids) and set(gates.values()) == {1}, gates
    assert set(evaluations) == set(plan_ids) and set(evaluations.values()) == {1}, evaluations
