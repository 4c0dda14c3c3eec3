"""The strategy map's API in process: the interview, the map, the proposals that cite it, and the notes
that never leave roadmap's database."""

import asyncio
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from shared.outbox import OutboxMessage
from tests.unit.roadmap_support import roadmap_app

OFFICER = "officer-strategy-a"
NOTE = "front desk re-keys referral faxes STRATEGY-NOTE-7f3a"
HOURS = {
    "documentation": (20.0, 1_500.0),
    "billing": (30.0, 1_600.0),
    "appointment_scheduling": (10.0, 300.0),
}
DIMENSIONS = {"workflows": 60.0, "compliance": 80.0, "data": 70.0, "staff": 55.0, "measurement": 40.0}


def answers(area: str, *ratings: int, note: str = "") -> list[dict[str, Any]]:
    questions = ("staff_time", "patient_friction", "missed_revenue", "burnout")
    return [
        {"area": area, "question": question, "rating": rating, "note": note}
        for question, rating in zip(questions, ratings, strict=False)
    ]


async def test_the_map_combines_interview_audit_and_readiness_and_proposals_cite_it(tmp_path: Path) -> None:
    async with roadmap_app(tmp_path) as roadmap:
        clinic_id = await roadmap.clinic(OFFICER, hours=HOURS, dimensions=DIMENSIONS)
        headers = roadmap.auth(OFFICER)
        before = (await roadmap.http.get(f"/v1/clinics/{clinic_id}/initiatives", headers=headers)).json()
        assert before["initiatives"][0]["problem"] == "billing"  # most hours saved before the interview

        body = {"answers": answers("documentation", 3, 2, 1, 3, note=NOTE) + answers("billing", 0, 0, 1, 0)}
        saved = await roadmap.http.put(
            f"/v1/clinics/{clinic_id}/strategy-interview", json=body, headers=headers
        )
        assert saved.status_code == 200, saved.text
        assert {a["note"] for a in saved.json()["answers"] if a["area"] == "documentation"} == {NOTE}

        strategy = (await roadmap.http.get(f"/v1/clinics/{clinic_id}/strategy-map", headers=headers)).json()
        assert strategy["answered"] == 8 and strategy["expected"] == 36
        by_area = {area["area"]: area for area in strategy["areas"]}
        assert len(by_area) == 9
        documentation = by_area["documentation"]
        # interview 9/12, audit 20 of the busiest 30 h -> need 0.708; readiness (60+80)/2 -> x0.85
        assert documentation["need"] == pytest.approx(0.708, abs=0.001)
        assert documentation["score"] == pytest.approx(60.2, abs=0.1)
        assert "interview: where burnout occurs: high" in documentation["evidence"]
        assert any("20.0 h/week" in line for line in documentation["evidence"])
        assert any("Nabla" in vendor for vendor in documentation["vendors"])
        assert by_area["analytics"]["score"] is None  # nothing measured, nothing said yet
        assert strategy["first_area"] == "documentation"
        assert strategy["first_reason"].startswith("Documentation scores 60/100")

        after = (await roadmap.http.get(f"/v1/clinics/{clinic_id}/initiatives", headers=headers)).json()
        first = after["initiatives"][0]
        assert first["problem"] == "documentation" and first["recommended"]
        assert "strategy map: Documentation 60/100" in first["reason"]
        assert after["recommendation"] == first["reason"]


async def test_notes_stay_in_roadmaps_database(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # the services log at INFO (aiosqlite DEBUG echoes every parameter)
    async with roadmap_app(tmp_path) as roadmap:
        clinic_id = await roadmap.clinic(OFFICER, hours=HOURS, dimensions=DIMENSIONS)
        body = {"answers": answers("documentation", 3, 3, 3, 3, note=NOTE)}
        headers = roadmap.auth(OFFICER)
        assert (
            await roadmap.http.put(f"/v1/clinics/{clinic_id}/strategy-interview", json=body, headers=headers)
        ).status_code == 200
        strategy = await roadmap.http.get(f"/v1/clinics/{clinic_id}/strategy-map", headers=headers)
        assert "STRATEGY-NOTE" not in strategy.text  # the map's evidence never quotes a note
        async with roadmap.sessions() as session:
            outbox = (await session.exec(select(OutboxMessage))).all()
        assert outbox, "re-ranking published the proposals"
        assert all("STRATEGY-NOTE" not in json.dumps(row.model_dump(mode="json")) for row in outbox)
        spans = roadmap.spans.get_finished_spans()
        assert spans
        for span in spans:
            recorded = json.dumps({"attributes": dict(span.attributes or {}), "name": span.name}, default=str)
            recorded += json.dumps([dict(event.attributes or {}) for event in span.events], default=str)
            assert "STRATEGY-NOTE" not in recorded, span.name
        assert "STRATEGY-NOTE" not in caplog.text


async def test_bad_answers_are_refused_with_the_field_named(tmp_path: Path) -> None:
    async with roadmap_app(tmp_path) as roadmap:
        clinic_id = await roadmap.clinic(OFFICER)
        path = f"/v1/clinics/{clinic_id}/strategy-interview"
        headers = roadmap.auth(OFFICER)
        for answer, field in (
            ({"area": "documentation", "question": "staff_time", "rating": 4}, "rating"),
            ({"area": "radiology", "question": "staff_time", "rating": 1}, "area"),
            ({"area": "billing", "question": "mood", "rating": 1}, "question"),
            ({"area": "billing", "question": "burnout", "rating": 1, "note": "x" * 501}, "note"),
        ):
            refused = await roadmap.http.put(path, json={"answers": [answer]}, headers=headers)
            assert refused.status_code == 422, refused.text
            assert field in json.dumps(refused.json()["detail"])
        empty = await roadmap.http.put(path, json={"answers": []}, headers=headers)
        assert empty.status_code == 422


async def test_another_officers_clinic_has_no_map(tmp_path: Path) -> None:
    async with roadmap_app(tmp_path) as roadmap:
        clinic_id = await roadmap.clinic(OFFICER)
        other = roadmap.auth("officer-strategy-b")
        for method, path, body in (
            ("GET", f"/v1/clinics/{clinic_id}/strategy-map", None),
            ("GET", f"/v1/clinics/{clinic_id}/strategy-interview", None),
            ("PUT", f"/v1/clinics/{clinic_id}/strategy-interview", {"answers": answers("billing", 1)}),
            ("GET", f"/v1/clinics/{uuid.uuid4()}/strategy-map", None),
        ):
            answer = await roadmap.http.request(method, path, json=body, headers=other)
            assert answer.status_code == 404, (path, answer.text)
        assert (await roadmap.http.get(f"/v1/clinics/{clinic_id}/strategy-map")).status_code == 401


async def test_a_map_before_any_data_says_what_is_missing(tmp_path: Path) -> None:
    async with roadmap_app(tmp_path) as roadmap:
        clinic_id = await roadmap.clinic(OFFICER)
        strategy = (
            await roadmap.http.get(f"/v1/clinics/{clinic_id}/strategy-map", headers=roadmap.auth(OFFICER))
        ).json()
        assert [line.split(":")[0] for line in strategy["waiting_for"]] == [
            "interview",
            "audit",
            "assessment",
        ]
        assert strategy["first_area"] is None
        assert all(area["score"] is None for area in strategy["areas"])


async def test_a_form_sent_twice_at_once_records_each_answer_once(tmp_path: Path) -> None:
    async with roadmap_app(tmp_path) as roadmap:
        clinic_id = await roadmap.clinic(OFFICER, hours=HOURS, dimensions=DIMENSIONS)
        path = f"/v1/clinics/{clinic_id}/strategy-interview"
        body = {"answers": answers("documentation", 3, 2, 1, 3)}
        sent = await asyncio.gather(
            *(roadmap.http.put(path, json=body, headers=roadmap.auth(OFFICER)) for _ in range(6))
        )
        assert [answer.status_code for answer in sent] == [200] * 6, [answer.text[:300] for answer in sent]
        interview = (await roadmap.http.get(path, headers=roadmap.auth(OFFICER))).json()
        assert sorted(answer["rating"] for answer in interview["answers"]) == [1, 2, 3, 3]
