"""The partner event contract: what is accepted, and what is refused with which reason."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cloudevents.http import CloudEvent
from cloudevents.kafka import to_binary

from shared.events.partner import (
    PARTNER_EVENT_TYPES,
    PHI_REASON,
    STAFF_ID_REASON,
    AiToolSession,
    CallMissed,
    FieldProblem,
    PartnerEventInvalid,
    example_events,
    parse_http_event,
    parse_kafka_record,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CLINIC = uuid.UUID("6f1c7d0e-5a4b-4c2e-9d31-2b8f5c0a7e11")


def http_event(**overrides: object) -> dict[str, object]:
    event: dict[str, object] = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "type": "partner.call.missed",
        "time": "2026-11-20T09:15:00-05:00",
        "subject": str(CLINIC),
        "data": {"wait_seconds": 40},
    }
    event.update(overrides)
    return event


def problems_of(raw: object) -> list[FieldProblem]:
    with pytest.raises(PartnerEventInvalid) as caught:
        parse_http_event(raw, now=NOW)
    return caught.value.problems


def test_every_documented_example_is_valid() -> None:
    examples = example_events()
    assert set(examples) == set(PARTNER_EVENT_TYPES)
    for event_type, data in examples.items():
        activity = parse_http_event(http_event(type=event_type, data=data), now=NOW)
        assert activity.type == event_type
        assert activity.clinic_id == CLINIC


def test_an_http_event_keeps_its_own_time_and_offset() -> None:
    activity = parse_http_event(http_event(), now=NOW)
    assert activity.body == CallMissed(wait_seconds=40)
    assert activity.occurred_at.utcoffset() == timedelta(hours=-5)


def test_unknown_field_is_refused_with_its_name() -> None:
    assert problems_of(http_event(data={"wait_seconds": 40, "queue": "main"})) == [
        FieldProblem("data.queue", "unknown field")
    ]


def test_wrong_type_is_refused() -> None:
    (problem,) = problems_of(http_event(data={"wait_seconds": "forty"}))
    assert problem.field == "data.wait_seconds"
    assert "number" in problem.reason
    (strict,) = problems_of(
        http_event(type="partner.note.signed", data={"documentation_minutes": 5, "ai_assisted": "yes"})
    )
    assert strict.field == "data.ai_assisted"


@pytest.mark.parametrize(
    "field", ["patient_name", "patientId", "date_of_birth", "mrn", "caller_phone", "email"]
)
def test_patient_like_fields_are_refused_as_phi(field: str) -> None:
    (problem,) = problems_of(http_event(data={"wait_seconds": 40, field: "x"}))
    assert problem == FieldProblem(f"data.{field}", PHI_REASON, personal_data=True)


def test_phi_at_the_top_level_is_refused_too() -> None:
    (problem,) = problems_of(http_event(patient_name="Jane Doe"))
    assert problem == FieldProblem("patient_name", PHI_REASON, personal_data=True)


def test_a_staff_name_instead_of_a_pseudonym_is_refused() -> None:
    data = {"staff_id": "Jane Doe", "tool": "scribe", "minutes": 10}
    (problem,) = problems_of(http_event(type="partner.ai_tool.session", data=data))
    assert problem == FieldProblem("data.staff_id", STAFF_ID_REASON, personal_data=True)


def test_unknown_type_naive_time_and_future_time_are_refused() -> None:
    assert problems_of(http_event(type="partner.call.dropped"))[0].field == "type"
    assert problems_of(http_event(time="2026-11-20T09:15:00"))[0].field == "time"
    future = (NOW + timedelta(days=2)).isoformat()
    assert problems_of(http_event(time=future)) == [FieldProblem("time", f"is in the future ({future})")]


def test_an_event_from_the_cloudevents_sdk_is_accepted_as_it_is() -> None:
    event = CloudEvent(
        {
            "type": "partner.ai_tool.session",
            "source": "https://scribe.example/clinics",
            "subject": str(CLINIC),
            "time": "2026-11-19T14:00:00Z",
            "partitionkey": str(CLINIC),
            "datacontenttype": "application/json",
        },
        {"staff_id": "ma-19c2", "tool": "ambient-scribe", "minutes": 22},
    )
    message = to_binary(event)
    headers = list(message.headers.items())
    key = message.key.encode() if isinstance(message.key, str) else message.key
    value = message.value.encode() if isinstance(message.value, str) else message.value
    activity = parse_kafka_record(headers, key, value, now=NOW)
    assert activity.event_id == event["id"]
    assert activity.body == AiToolSession(staff_id="ma-19c2", tool="ambient-scribe", minutes=22)
    assert activity.occurred_at == datetime(2026, 11, 19, 14, tzinfo=UTC)


def as_record(headers: dict[str, str]) -> list[tuple[str, bytes]]:
    """Headers as a Kafka record carries them."""
    return [(name, value.encode()) for name, value in headers.items()]


def test_a_kafka_record_without_subject_uses_its_key_as_the_clinic() -> None:
    headers = {
        "ce_id": "e-1",
        "ce_type": "partner.appointment.no_show",
        "ce_source": "/scheduler",
        "ce_specversion": "1.0",
        "ce_time": "2026-11-19T14:00:00+01:00",
    }
    assert parse_kafka_record(as_record(headers), str(CLINIC).encode(), b"{}", now=NOW).clinic_id == CLINIC


def test_a_kafka_record_missing_headers_or_with_phi_is_refused() -> None:
    with pytest.raises(PartnerEventInvalid) as missing:
        parse_kafka_record(as_record({"ce_type": "partner.call.missed"}), None, b"{}", now=NOW)
    assert {problem.field for problem in missing.value.problems} == {
        "ce_id",
        "ce_source",
        "ce_specversion",
        "ce_time",
    }
    headers = {
        "ce_id": "e-2",
        "ce_type": "partner.call.missed",
        "ce_source": "/phones",
        "ce_specversion": "1.0",
        "ce_time": "2026-11-19T14:00:00Z",
        "ce_subject": str(CLINIC),
    }
    with pytest.raises(PartnerEventInvalid) as phi:
        parse_kafka_record(
            as_record(headers), None, b'{"wait_seconds": 3, "patient_name": "Jane Doe"}', now=NOW
        )
    assert phi.value.problems == [FieldProblem("data.patient_name", PHI_REASON, personal_data=True)]
    assert phi.value.holds_personal_data
    with pytest.raises(PartnerEventInvalid) as broken:
        parse_kafka_record(as_record(headers), None, b"{not json", now=NOW)
    assert broken.value.problems[0].field == "data"
