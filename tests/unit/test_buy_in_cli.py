"""`faio plan buy-in ...` against stand-in services: what it sends, what it refuses before sending."""

from typing import Any

from tests.unit.cli_support import FakeServices, faio, services

__all__ = ["services"]

PLAN = "plan-1234"
BUY_IN = f"/v1/plans/{PLAN}/buy-in"
TOO_FEW = "too few responses to show without identifying anyone (the round closed with 3; results need 5)"


def view(**results: Any) -> dict[str, Any]:
    return {
        "plan_id": PLAN,
        "phase": "preparation",
        "communications": [
            {
                "id": "c1",
                "kind": "why_we_change",
                "audiences": ["all_staff"],
                "sent_at": "2026-11-20T10:00:00Z",
                "recorded_by": "o",
            }
        ],
        "trainings": [
            {
                "id": "t1",
                "kind": "training",
                "status": "held",
                "held_on": "2026-11-21",
                "attendees": ["ma-1", "dr-2"],
                "booked_by_alert": False,
            }
        ],
        "staff_trained": 2,
        "waiver": None,
        "preparation_ready": True,
        "preparation_missing": [],
        "surveys": [
            {
                "id": "r1",
                "stage": "before_pilot",
                "expires_at": "2026-12-10T10:00:00Z",
                "open": False,
                "revoked": True,
                "links_issued": 6,
                "links": [],
                "results": {
                    "closed": True,
                    "responses": 3,
                    "shown": False,
                    "message": TOO_FEW,
                    "buy_in_score": None,
                    "questions": [],
                    **results,
                },
            }
        ],
    }


def test_communicate_sends_the_kind_and_roles(services: FakeServices) -> None:
    services.answer("POST", f"{BUY_IN}/communications", 201, {"id": "c1"})
    result = faio(
        "plan", "buy-in", "communicate", PLAN, "why_we_change", "--to", "all_staff", "--to", "front_desk"
    )
    assert result.exit_code == 0, result.output
    assert services.body("POST", f"{BUY_IN}/communications") == {
        "kind": "why_we_change",
        "audiences": ["all_staff", "front_desk"],
    }


def test_free_text_kinds_and_names_are_refused_before_anything_is_sent(services: FakeServices) -> None:
    told = faio("plan", "buy-in", "communicate", PLAN, "told them at lunch", "--to", "all_staff")
    assert told.exit_code == 2 and "why_we_change" in told.output
    named = faio("plan", "buy-in", "train", PLAN, "--attended", "Maria Lopez")
    assert named.exit_code == 2 and "never a name" in named.output
    assert services.requests == []


def test_train_records_attendance_and_survey_prints_the_link(services: FakeServices) -> None:
    services.answer(
        "POST",
        f"{BUY_IN}/trainings",
        201,
        {
            "id": "t1",
            "kind": "training",
            "status": "held",
            "held_on": "2026-11-27",
            "attendees": ["ma-1"],
            "booked_by_alert": False,
        },
    )
    trained = faio("plan", "buy-in", "train", PLAN, "--attended", "ma-1")
    assert trained.exit_code == 0, trained.output
    assert services.body("POST", f"{BUY_IN}/trainings") == {
        "kind": "training",
        "status": "held",
        "attendees": ["ma-1"],
    }
    links = [
        {"roster": "ma-1", "link_token": "tok1", "link_url": "http://portal.test/survey/tok1"},
        {"roster": "", "link_token": "tok2", "link_url": "http://portal.test/survey/tok2"},
    ]
    issued = {**view()["surveys"][0], "open": True, "links_issued": 2, "links": links}
    services.answer("POST", f"{BUY_IN}/surveys", 201, issued)
    opened = faio("plan", "buy-in", "survey", PLAN, "before_pilot", "--links", "2")
    assert opened.exit_code == 0, opened.output
    assert services.body("POST", f"{BUY_IN}/surveys") == {
        "stage": "before_pilot",
        "open_days": 14,
        "links": 2,
    }
    assert "results show from 5 answers" in opened.output  # the README walk-through looks for it
    assert "link for ma-1: http://portal.test/survey/tok1" in opened.output
    assert "link for person 2: http://portal.test/survey/tok2" in opened.output
    assert "results need 5 answers" in opened.output  # two links can never show results


def test_show_says_too_few_below_five_answers(services: FakeServices) -> None:
    services.answer("GET", BUY_IN, 200, view())
    shown = faio("plan", "buy-in", "show", PLAN)
    assert shown.exit_code == 0, shown.output
    assert "too few responses to show without identifying anyone" in shown.output
    assert "closed, 6 link(s) issued" in shown.output
    assert "ma-1, dr-2" in shown.output


def test_show_prints_a_closed_rounds_coarsened_cells_in_words(services: FakeServices) -> None:
    question = {"text": "...", "worse_when_agreed": False}
    shown_results = {
        "responses": 5,
        "shown": True,
        "message": "the round closed with 5 answers",
        "buy_in_score": 80.0,
        "questions": [
            {
                **question,
                "question": "understanding_why",
                "mean": None,
                "agree_share": None,
                "agree": "all or nearly all",
            },
            {**question, "question": "leadership_support", "mean": 3.6, "agree_share": 0.6, "agree": "60%"},
        ],
    }
    services.answer("GET", BUY_IN, 200, view(**shown_results))
    shown = faio("plan", "buy-in", "show", PLAN)
    assert shown.exit_code == 0, shown.output
    assert "all or nearly all" in shown.output and "60%" in shown.output and "3.6" in shown.output
