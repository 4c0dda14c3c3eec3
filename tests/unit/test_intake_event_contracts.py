"""Whatever intake's API accepts makes an event its consumers accept: never a dead letter downstream.

Hypothesis generates request bodies from intake's own OpenAPI document (schemathesis, valid
bodies) and, for assessments, complete answer sets from the questionnaire. Every request the API
accepts must leave outbox rows that parse exactly as audit, roadmap and kpi parse them (the
CloudEvents headers, then the contract's model from the JSON payload) and fit in one Kafka message.
"""

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode

from services.intake import scoring
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from shared.events.envelope import Envelope, EventBody
from shared.events.intake import AssessmentCompleted, ClinicRegistered, ClinicUpdated
from tests.services import tracer_provider

# The broker's default message.max.bytes: a larger event could never be published.
BROKER_MESSAGE_LIMIT = 1_048_588
CONTRACTS: dict[str, type[EventBody]] = {
    contract.topic.name: contract for contract in (ClinicRegistered, ClinicUpdated, AssessmentCompleted)
}
EXAMPLES = 60
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is shown as found
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Intake:
    http: TestClient
    database: Path
    clinic_id: str
    schema: Any
    published_up_to: int = 0

    def new_events(self) -> list[tuple[str, dict[str, str], bytes]]:
        """Outbox rows written since the last call: topic, CloudEvents headers, payload."""
        with sqlite3.connect(self.database) as connection:
            rows = connection.execute(
                "SELECT id, topic, headers, payload FROM outbox WHERE id > ? ORDER BY id",
                (self.published_up_to,),
            ).fetchall()
        if rows:
            self.published_up_to = rows[-1][0]
        return [(topic, json.loads(headers), bytes(payload)) for _, topic, headers, payload in rows]


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Intake]:
    database = tmp_path_factory.mktemp("intake-contracts") / "intake.db"
    settings_ = IntakeSettings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{database}",
        kafka_bootstrap_servers="127.0.0.1:9",  # nothing there: events stay in the outbox to read
    )
    app = create_app(settings_, tracer_provider("intake", None))
    # A 500 comes back as an answer (not raised), and officer administration wants a loopback client.
    with TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 50000)) as http:
        created = http.post(
            "/v1/officers", json={"name": "Contract Officer", "email": "contracts@example.org"}
        )
        http.headers["Authorization"] = f"Bearer {created.json()['token']}"
        clinic = http.post("/v1/clinics", json={"name": "Contract Clinic", "specialty": "dermatology"})
        schema = schemathesis.openapi.from_dict(app.openapi())
        yield Intake(http, database, clinic.json()["id"], schema)


def _accepted_events_pass_their_contracts(intake: Intake, case: Case[Any]) -> int:
    """Send the case; every event an accepted request wrote must pass its contract. How many it wrote."""
    intake.new_events()
    response = intake.http.request(case.method, case.formatted_path, json=case.body)
    assert response.status_code < 500, response.text
    events = intake.new_events()
    if response.status_code >= 300:
        assert not events, "a refused request wrote an event"
    for topic, headers, payload in events:
        Envelope.from_headers(headers)
        CONTRACTS[topic].model_validate_json(payload)
        assert len(payload) < BROKER_MESSAGE_LIMIT
    return len(events)


def _valid_bodies(intake: Intake, method: str, path: str, **fixed: Any) -> st.SearchStrategy[Case[Any]]:
    operation = intake.schema[path][method]
    strategy: st.SearchStrategy[Case[Any]] = operation.as_strategy(
        generation_mode=GenerationMode.POSITIVE, **fixed
    )
    return strategy


# One case in three gets a large profile: enough to cross every bound, few enough to keep most accepted.
GROW = st.integers(min_value=0, max_value=2).map(lambda n: n == 0)


def _large_profiles() -> st.SearchStrategy[dict[str, Any]]:
    """Profiles near and past the contracts' bounds, which valid-body generation rarely reaches."""
    roles = st.builds(
        lambda n, headcount, cost: {"role": f"role {n}", "headcount": headcount, "hourly_cost": cost},
        st.integers(0, 10_000),
        st.integers(0, 10_000),
        st.floats(0, 10_000),
    )
    return st.fixed_dictionaries(
        {
            "staff": st.lists(roles, min_size=20, max_size=40, unique_by=lambda role: role["role"]),
            "systems": st.dictionaries(
                st.text(min_size=1, max_size=50), st.text(min_size=1, max_size=120), min_size=10, max_size=30
            ),
        }
    )


def test_every_clinic_the_api_registers_makes_a_valid_clinic_registered(intake: Intake) -> None:
    @FUZZ
    @given(
        case=_valid_bodies(intake, "POST", "/v1/clinics"),
        large=_large_profiles(),
        grow=GROW,
        calendar=_calendars(),
    )
    def accepted(case: Case[Any], large: dict[str, Any], grow: bool, calendar: dict[str, Any]) -> None:
        if isinstance(case.body, dict):
            case.body = case.body | calendar | (large if grow else {})
        written.append(_accepted_events_pass_their_contracts(intake, case))

    written: list[int] = []
    accepted()
    assert sum(written) >= EXAMPLES // 4, "too few accepted requests to prove anything"


def _calendars() -> st.SearchStrategy[dict[str, Any]]:
    """A real zone and holiday calendar (random strings are almost never one, and are refused)."""
    return st.fixed_dictionaries(
        {
            "time_zone": st.sampled_from(["America/Los_Angeles", "Europe/Berlin", "UTC", "Asia/Kolkata"]),
            "holidays": st.sampled_from(["", "US", "US-CA", "DE-BY", "GB"]),
        }
    )


def test_every_update_the_api_accepts_makes_a_valid_clinic_updated(intake: Intake) -> None:
    path_parameters = {"clinic_id": intake.clinic_id}

    @FUZZ
    @given(
        case=_valid_bodies(intake, "PATCH", "/v1/clinics/{clinic_id}", path_parameters=path_parameters),
        large=_large_profiles(),
        grow=GROW,
        calendar=_calendars(),
    )
    def accepted(case: Case[Any], large: dict[str, Any], grow: bool, calendar: dict[str, Any]) -> None:
        if isinstance(case.body, dict):
            case.body = case.body | calendar | (large if grow else {})
        written.append(_accepted_events_pass_their_contracts(intake, case))

    written: list[int] = []
    accepted()
    assert sum(written) >= EXAMPLES // 4, "too few accepted requests to prove anything"


def _answer_sets() -> st.SearchStrategy[dict[str, Any]]:
    """Complete, valid answer sets of the current questionnaire (random bodies are almost never valid)."""
    questionnaire = scoring.load_questionnaire(scoring.CURRENT_VERSION)
    answers = {
        question.id: st.sampled_from([option.id for option in question.options])
        if question.type == "choice"
        else st.integers(min_value=0, max_value=4)
        for question in questionnaire.questions
    }
    version = st.sampled_from([None, questionnaire.version])
    return st.fixed_dictionaries(
        {"answers": st.fixed_dictionaries(answers), "questionnaire_version": version}
    )


def test_every_assessment_the_api_scores_makes_a_valid_assessment_completed(intake: Intake) -> None:
    path = "/v1/clinics/{clinic_id}/assessments"
    path_parameters = {"clinic_id": intake.clinic_id}

    @FUZZ
    @given(
        case=_valid_bodies(intake, "POST", path, path_parameters=path_parameters),
        answers=_answer_sets(),
        # Three cases in four are complete answer sets; the rest are schemathesis's own bodies.
        use_questionnaire=st.integers(min_value=0, max_value=3).map(bool),
    )
    def accepted(case: Case[Any], answers: dict[str, Any], use_questionnaire: bool) -> None:
        if use_questionnaire:
            case.body = answers
        written.append(_accepted_events_pass_their_contracts(intake, case))

    written: list[int] = []
    accepted()
    assert sum(written) >= EXAMPLES // 4, "too few accepted requests to prove anything"
