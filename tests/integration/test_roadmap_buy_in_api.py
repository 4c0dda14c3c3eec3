"""Staff buy-in over the real broker and Temporal server: the plan's real worker and activities hold it
at the end of preparation until the officer records, through the API, that staff were told and trained
(or why not); roadmap's API nudges the plan, which then starts its pilot.

Also: nothing a staff member could type reaches Kafka, a trace or a log.
"""

import logging
import uuid
from typing import Any

import httpx
import pytest
from sqlmodel import select

from services.roadmap.plans.preparation import HOLDING_MILESTONE
from services.roadmap.settings import RoadmapSettings
from shared.outbox import OutboxMessage
from tests.integration.test_roadmap_api import (
    SPANS,
    auth,
    clinic_with_findings,
    initiatives_of,
    roadmap,
)
from tests.polling import eventually
from tests.services import Platform

__all__ = ["roadmap"]
SECONDS = 1 / 86_400  # phase lengths are in days
SHORT = {"baseline": 2 * SECONDS, "preparation": 2 * SECONDS, "pilot": 1, "rollout": 1, "sustain": 1}


async def approved_plan(platform: Platform) -> str:
    """A clinic's first initiative approved with seconds-long baseline and preparation; its plan id."""
    http, headers = platform["roadmap"].http, auth(platform)
    clinic_id = await clinic_with_findings(platform, systems={"emr": "athenahealth", "phone": "RingCentral"})
    first = (await initiatives_of(http, clinic_id, headers))["initiatives"][0]
    approved = await http.post(
        f"/v1/initiatives/{first['id']}/approve",
        json={
            "owner": "staff-lead-7",
            "target_change_pct": -30,
            "phase_days": SHORT,
            "checkin_days": 1,
            # The baseline is not what these tests are about (main's pilot also waits for one).
            "no_baseline_reason": "a rehearsal plan: seconds-long phases, no feed",
        },
        headers=headers,
    )
    assert approved.status_code == 201, approved.text
    return str(approved.json()["plan_id"])


async def plan_of(http: httpx.AsyncClient, plan_id: str, headers: dict[str, str]) -> dict[str, Any]:
    answer = await http.get(f"/v1/plans/{plan_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    plan: dict[str, Any] = answer.json()
    return plan


async def holding(http: httpx.AsyncClient, plan_id: str, headers: dict[str, str]) -> dict[str, Any]:
    async def held() -> dict[str, Any] | None:
        plan = await plan_of(http, plan_id, headers)
        live = plan["live"] or {}
        return plan if live.get("next_milestone") == HOLDING_MILESTONE else None

    return await eventually(held, within=60, what="the plan holding at the end of preparation")


async def in_pilot(http: httpx.AsyncClient, plan_id: str, headers: dict[str, str]) -> dict[str, Any]:
    async def piloting() -> dict[str, Any] | None:
        plan = await plan_of(http, plan_id, headers)
        return plan if plan["phase"] == "pilot" else None

    return await eventually(piloting, within=60, what="the plan's pilot")


async def test_the_pilot_starts_once_staff_were_told_and_trained(roadmap: Platform) -> None:
    http, headers = roadmap["roadmap"].http, auth(roadmap)
    plan_id = await approved_plan(roadmap)
    plan = await holding(http, plan_id, headers)
    assert plan["phase"] == "preparation"
    assert plan["buy_in"]["preparation_ready"] is False
    [waits] = [n for n in plan["notices"] if n["message"].startswith("the pilot waits")]
    assert "records why the pilot goes on without it" in waits["message"]

    told = await http.post(
        f"/v1/plans/{plan_id}/buy-in/communications",
        json={"kind": "why_we_change", "audiences": ["all_staff"]},
        headers=headers,
    )
    assert told.status_code == 201, told.text
    assert (await holding(http, plan_id, headers))["phase"] == "preparation"  # a training is still missing
    trained = await http.post(
        f"/v1/plans/{plan_id}/buy-in/trainings", json={"attendees": ["ma-1", "dr-2"]}, headers=headers
    )
    assert trained.status_code == 201, trained.text

    plan = await in_pilot(http, plan_id, headers)
    pilot = plan["transitions"][-1]
    assert pilot["phase"] == "pilot"
    assert pilot["reason"].endswith("buy-in: staff communication sent and training held")
    assert plan["buy_in"]["staff_trained"] == 2 and plan["buy_in"]["preparation_ready"] is True


async def test_the_officer_may_record_why_not_and_the_pilot_starts(roadmap: Platform) -> None:
    http, headers = roadmap["roadmap"].http, auth(roadmap)
    plan_id = await approved_plan(roadmap)
    await holding(http, plan_id, headers)
    waived = await http.put(
        f"/v1/plans/{plan_id}/buy-in/preparation-waiver",
        json={"reason": "the pilot physicians trained at the vendor's site last month"},
        headers=headers,
    )
    assert waived.status_code == 200, waived.text
    plan = await in_pilot(http, plan_id, headers)
    reason = plan["transitions"][-1]["reason"]
    assert "the officer recorded why the plan goes on without a communication to staff" in reason
    assert "vendor's site" not in reason  # the officer's words stay in roadmap, never in the event


async def test_nothing_staff_could_type_reaches_kafka_a_trace_or_a_log(
    roadmap: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    http, headers = roadmap["roadmap"].http, auth(roadmap)
    settings = roadmap["roadmap"].runtime.settings
    assert isinstance(settings, RoadmapSettings)
    settings.survey_min_fill_seconds = 0
    plan_id = await approved_plan(roadmap)
    survey = await http.post(
        f"/v1/plans/{plan_id}/buy-in/surveys", json={"stage": "before_pilot"}, headers=headers
    )
    assert survey.status_code == 201, survey.text
    # One link per person on the plan's roster (here its owner), shown only in this answer.
    assert [link["roster"] for link in survey.json()["links"]] == ["staff-lead-7"]
    token = survey.json()["links"][0]["link_token"]
    secret = f"Maria Lopez in billing says no {uuid.uuid4().hex}"
    caplog.set_level(logging.DEBUG)
    opened = await http.post("/v1/public/buy-in-survey/open", json={"token": token})
    answers = {"job_security_worry": 4, "confidence_to_learn": 2, "expected_extra_work": 5}
    answers |= {"understanding_why": 1, "leadership_support": 2}
    typed = await http.post(
        "/v1/public/buy-in-survey/answers",
        json={"token": token, "form_stamp": opened.json()["form_stamp"], **answers, "comment": secret},
    )
    assert typed.status_code == 422 and "comment" in typed.text  # no field takes text
    named = await http.post(
        f"/v1/plans/{plan_id}/buy-in/trainings", json={"attendees": [secret]}, headers=headers
    )
    assert named.status_code == 422
    taken = await http.post(
        "/v1/public/buy-in-survey/answers",
        json={"token": token, "form_stamp": opened.json()["form_stamp"], **answers},
    )
    assert taken.status_code == 201, taken.text

    async with roadmap["roadmap"].runtime.sessions() as session:
        payloads = [row.payload.decode() for row in (await session.exec(select(OutboxMessage))).all()]
    spans = SPANS.get_finished_spans()
    in_spans = [
        str(value)
        for span in spans
        for value in [*(span.attributes or {}).values(), *(event.attributes or {} for event in span.events)]
    ]
    for where, texts in (
        ("kafka", payloads),
        ("traces", in_spans),
        ("logs", [r.getMessage() for r in caplog.records]),
    ):
        assert not [text for text in texts if "Maria Lopez" in text], f"staff text reached the {where}"
        assert not [text for text in texts if token in text], f"the survey link reached the {where}"
    assert not any("staff-lead-7" in text and "survey" in text for text in payloads)  # no link owner sent
