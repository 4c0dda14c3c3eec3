"""The buy-in survey through roadmap's HTTP API (in process, a SQLite file): anonymous by construction.

One single-use link per person, kept as a hash; one answer per link and per form stamp; results only
once the round closes, from five answers, with unanimous cells coarsened; no live count; rounds close
with their phase. The stuffing and differencing attacks of issue 24 are run and fail.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from services.roadmap.api import survey as survey_api
from services.roadmap.plans.buy_in.models import BuyInSurveyAnswer, BuyInSurveyLink
from services.roadmap.plans.buy_in.results import ALL, NONE, STILL_OPEN, TOO_FEW
from services.roadmap.plans.buy_in.survey import token_hash
from shared.pseudonyms import is_issued
from shared.public_links import LinkPurpose, RateLimit, issue_form_stamp, issue_link
from tests.unit.test_roadmap_buy_in_api import AGREEABLE, BuyInApp, roadmap

__all__ = ["roadmap"]  # the fixture, used by name

OPEN = "/v1/public/buy-in-survey/open"
ANSWERS = "/v1/public/buy-in-survey/answers"
USED = "this link was used already"
CLOSED = "this survey has closed"


def tokens(survey: dict[str, Any]) -> list[str]:
    return [link["link_token"] for link in survey["links"]]


async def stamp_of(roadmap: BuyInApp, token: str) -> str:
    opened = await roadmap.http.post(OPEN, json={"token": token})
    assert opened.status_code == 200, opened.text
    return str(opened.json()["form_stamp"])


async def test_stuffing_and_differencing_attacks_recover_nothing(roadmap: BuyInApp) -> None:
    plan_id = await roadmap.plan()
    survey = await roadmap.open_round(plan_id, links=6)
    colleague, attacker, *others = tokens(survey)
    secret = {key: 1 for key in AGREEABLE}  # what the colleague answered, and must stay theirs
    assert (await roadmap.answer(colleague, secret)).status_code == 201
    events_before = len(await roadmap.staged())

    # Stuffing: the same link and stamp again, the colleague's stamp on another link, a reopened link.
    stamp = await stamp_of(roadmap, attacker)
    first = await roadmap.http.post(ANSWERS, json={"token": attacker, "form_stamp": stamp, **AGREEABLE})
    assert first.status_code == 201
    for _ in range(4):
        again = await roadmap.http.post(ANSWERS, json={"token": attacker, "form_stamp": stamp, **AGREEABLE})
        assert again.status_code == 422 and USED in again.json()["detail"]
    reopened = await roadmap.http.post(OPEN, json={"token": attacker})
    assert reopened.status_code == 422 and USED in reopened.json()["detail"]
    borrowed = await roadmap.http.post(ANSWERS, json={"token": others[0], "form_stamp": stamp, **AGREEABLE})
    assert borrowed.status_code == 422 and "belongs to another link's form" in borrowed.json()["detail"]
    made_up = issue_link(  # a link the round never issued: its hash is not on file
        roadmap.settings,
        purpose=LinkPurpose.BUY_IN_SURVEY,
        link_id=survey["id"],
        subject_id=plan_id,
        expires_at=datetime.now(UTC) + timedelta(days=1),
        nonce="guessed",
    )
    assert (await roadmap.answer(made_up)).status_code == 422
    async with roadmap.sessions() as session:
        assert len((await session.exec(select(BuyInSurveyAnswer))).all()) == 2

    # Differencing: while open, no figures and no count, and answers stage no event to watch.
    results = (await roadmap.buy_in(plan_id))["surveys"][0]
    assert results["open"] is True and results["links"] == []  # links are shown once, when issued
    assert results["results"] == {
        "closed": False,
        "responses": None,
        "shown": False,
        "message": STILL_OPEN,
        "buy_in_score": None,
        "questions": [],
    }
    assert len(await roadmap.staged()) == events_before

    # Closed with two answers: too few to show anything, and nobody can add one now.
    closed = await roadmap.close(plan_id, survey["id"])
    assert closed["results"]["shown"] is False and closed["results"]["questions"] == []
    assert closed["results"]["message"].startswith(TOO_FEW)
    late = await roadmap.answer(others[1])
    assert late.status_code == 422 and "withdrawn" in late.json()["detail"]
    last = (await roadmap.staged())[-1].surveys[0]
    assert not last.open and not last.shown and last.question_means == {} and last.buy_in_score is None


async def test_links_are_kept_as_hashes_and_nothing_ties_one_to_its_answer(roadmap: BuyInApp) -> None:
    plan_id = await roadmap.plan()
    survey = await roadmap.open_round(plan_id, links=5)
    assert survey["links_issued"] == 5 and len(set(tokens(survey))) == 5
    assert (await roadmap.answer(tokens(survey)[2])).status_code == 201
    async with roadmap.sessions() as session:
        links = (await session.exec(select(BuyInSurveyLink))).all()
        answer = (await session.exec(select(BuyInSurveyAnswer))).one()
    assert {link.token_hash for link in links} == {token_hash(token) for token in tokens(survey)}
    assert sorted(link.used for link in links) == [False] * 4 + [True]
    # The round's clinic (the tenant) is all that is added to the round: nothing about the person.
    assert set(BuyInSurveyLink.model_fields) == {"token_hash", "clinic_id", "round_id", "used"}
    assert set(answer.model_dump()) == {"clinic_id", "id", "round_id", *AGREEABLE}  # a random id: no order
    assert {link.clinic_id for link in links} == {answer.clinic_id}


async def test_results_show_once_closed_with_five_and_unanimous_cells_are_coarsened(
    roadmap: BuyInApp,
) -> None:
    plan_id = await roadmap.plan()
    survey = await roadmap.open_round(plan_id, links=5)
    for token in tokens(survey):
        assert (await roadmap.answer(token)).status_code == 201
    assert (await roadmap.buy_in(plan_id))["surveys"][0]["results"]["shown"] is False  # still open
    results = (await roadmap.close(plan_id, survey["id"]))["results"]
    assert results["shown"] is True and results["responses"] == 5
    assert results["buy_in_score"] == 80.0  # (4+4+4+5+4)/5 = 4.2 on 1..5, reversed worry and work
    by_key = {question["question"]: question for question in results["questions"]}
    # Everyone answered 5: the exact 100 % and the mean of 5 would say so for each of them.
    assert by_key["understanding_why"]["agree"] == ALL and by_key["understanding_why"]["agree_share"] is None
    assert by_key["understanding_why"]["mean"] is None
    assert by_key["job_security_worry"]["agree"] == NONE and by_key["job_security_worry"]["mean"] == 2.0
    event = (await roadmap.staged())[-1].surveys[0]
    assert event.shown and event.responses == 5 and "understanding_why" not in event.question_means


async def test_a_before_pilot_round_closes_when_the_pilot_starts(roadmap: BuyInApp) -> None:
    plan_id = await roadmap.plan()
    survey = await roadmap.open_round(plan_id, "before_pilot", links=6)
    for token in tokens(survey)[:5]:
        assert (await roadmap.answer(token)).status_code == 201
    await roadmap.set_phase(plan_id, "pilot")
    during_pilot = await roadmap.answer(tokens(survey)[5])
    assert during_pilot.status_code == 422 and CLOSED in during_pilot.json()["detail"]
    view = (await roadmap.buy_in(plan_id))["surveys"][0]
    assert view["open"] is False and view["results"]["shown"] and view["results"]["responses"] == 5
    more = await roadmap.http.post(
        f"/v1/plans/{plan_id}/buy-in/surveys/{survey['id']}/links", json={"links": 2}, headers=roadmap.auth()
    )
    assert more.status_code == 409 and "closed" in more.json()["detail"]


async def test_links_come_from_the_roster_or_a_count_and_more_can_be_issued(roadmap: BuyInApp) -> None:
    plan_id = await roadmap.plan()
    path = f"/v1/plans/{plan_id}/buy-in/surveys"
    no_roster = await roadmap.http.post(path, json={"stage": "before_pilot"}, headers=roadmap.auth())
    assert no_roster.status_code == 422 and "links" in no_roster.json()["detail"]
    await roadmap.http.post(
        f"/v1/plans/{plan_id}/buy-in/trainings", json={"attendees": ["ma-1", "dr-2"]}, headers=roadmap.auth()
    )
    opened = await roadmap.http.post(path, json={"stage": "before_pilot"}, headers=roadmap.auth())
    assert opened.status_code == 201, opened.text
    # The roster holds the attendees' keyed pseudonyms (shared.pseudonyms), never what was typed.
    roster = [link["roster"] for link in opened.json()["links"]]
    assert len(roster) == 2 and all(is_issued(person) for person in roster)
    more = await roadmap.http.post(
        f"{path}/{opened.json()['id']}/links", json={"links": 3}, headers=roadmap.auth()
    )
    assert more.status_code == 201 and more.json()["links_issued"] == 5 and len(more.json()["links"]) == 3
    assert all(link["link_url"].endswith(link["link_token"]) for link in more.json()["links"])
    too_many = await roadmap.http.post(
        f"{path}/{opened.json()['id']}/links", json={"links": 0}, headers=roadmap.auth()
    )
    assert too_many.status_code == 422 and "links" in too_many.text


async def test_one_round_per_stage_and_each_stage_at_its_phase(roadmap: BuyInApp) -> None:
    plan_id = await roadmap.plan()
    await roadmap.open_round(plan_id, "before_pilot")
    twice = await roadmap.http.post(
        f"/v1/plans/{plan_id}/buy-in/surveys",
        json={"stage": "before_pilot", "links": 5},
        headers=roadmap.auth(),
    )
    assert twice.status_code == 409 and "one round per stage" in twice.json()["detail"]
    early = await roadmap.http.post(
        f"/v1/plans/{plan_id}/buy-in/surveys", json={"stage": "gate", "links": 5}, headers=roadmap.auth()
    )
    assert early.status_code == 409 and "pilot or evaluation" in early.json()["detail"]
    await roadmap.set_phase(plan_id, "evaluation")
    await roadmap.open_round(plan_id, "gate")
    await roadmap.set_phase(plan_id, "sustain")
    await roadmap.open_round(plan_id, "sustain")
    stages = [(s["stage"], s["open"]) for s in (await roadmap.buy_in(plan_id))["surveys"]]
    assert stages == [("before_pilot", False), ("gate", False), ("sustain", True)]


async def test_expired_revoked_and_forged_links_are_refused_saying_what_to_do(roadmap: BuyInApp) -> None:
    plan_id = await roadmap.plan()
    survey = await roadmap.open_round(plan_id)
    token = tokens(survey)[0]
    expired = issue_link(
        roadmap.settings,
        purpose=LinkPurpose.BUY_IN_SURVEY,
        link_id=survey["id"],
        subject_id=plan_id,
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    prospect = issue_link(  # a real link of another purpose does not open the survey
        roadmap.settings,
        purpose=LinkPurpose.PROSPECT,
        link_id=survey["id"],
        subject_id=plan_id,
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    for bad, words in (
        (expired, "this link has expired"),
        (token[:-4] + "AAAA", "not one faio made"),
        (prospect, "not one faio made"),
    ):
        refused = await roadmap.http.post(OPEN, json={"token": bad})
        assert refused.status_code == 422
        assert (
            words in refused.json()["detail"]
            and "ask the officer who sent it for a new link" in refused.json()["detail"]
        )
    assert (await roadmap.close(plan_id, survey["id"]))["revoked"] is True
    refused = await roadmap.answer(token)
    assert refused.status_code == 422 and "withdrawn by the officer" in refused.json()["detail"]


async def test_answers_take_five_numbers_and_nothing_else_and_bots_are_refused(roadmap: BuyInApp) -> None:
    plan_id = await roadmap.plan()
    survey = await roadmap.open_round(plan_id)
    token = tokens(survey)[0]
    comment = await roadmap.answer(token, comment="my manager is Jane Doe")
    assert comment.status_code == 422 and "comment" in comment.text
    out_of_scale = await roadmap.answer(token, {**AGREEABLE, "leadership_support": 7})
    assert out_of_scale.status_code == 422 and "leadership_support" in out_of_scale.text
    honeypot = await roadmap.answer(token, website="http://spam.example")
    assert honeypot.status_code == 422 and "'website' must be left empty" in honeypot.json()["detail"]
    roadmap.settings.survey_min_fill_seconds = 8
    fresh = issue_form_stamp(roadmap.settings, link_id=token_hash(token))
    too_fast = await roadmap.http.post(ANSWERS, json={"token": token, "form_stamp": fresh, **AGREEABLE})
    assert too_fast.status_code == 422 and "faster than a person fills it" in too_fast.json()["detail"]
    filled = issue_form_stamp(
        roadmap.settings, link_id=token_hash(token), now=datetime.now(UTC) - timedelta(seconds=30)
    )
    taken = await roadmap.http.post(ANSWERS, json={"token": token, "form_stamp": filled, **AGREEABLE})
    assert taken.status_code == 201, taken.text
    assert (await roadmap.close(plan_id, survey["id"]))["results"]["responses"] == 1


async def test_a_round_is_rate_limited(roadmap: BuyInApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(survey_api, "answers_per_round", RateLimit("3/minute", scope="test-buy-in-round"))
    survey = await roadmap.open_round(await roadmap.plan())
    for token in tokens(survey)[:3]:
        assert (await roadmap.answer(token)).status_code == 201
    limited = await roadmap.answer(tokens(survey)[3])
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
