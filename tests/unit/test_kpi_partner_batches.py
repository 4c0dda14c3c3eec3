"""Partner batches on both sides of Kafka: the one-pass validation agrees with the event-by-event
one, accepted events are packed one record per clinic, and the consumer unpacks such a record,
counting the good events and parking each bad one on its own."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from aiokafka import ConsumerRecord

from services.kpi.aggregate import ActivityBatch
from services.kpi.partner_batches import (
    BATCH_CONTENT_TYPE,
    BatchRefused,
    encode_events,
    event_id_for,
    pack,
    parse_batch,
)
from shared import topics
from shared.events.partner import PartnerActivity, PartnerEventInvalid, example_events, parse_http_event
from shared.pseudonyms import pseudonym_for

NOW = datetime.now(UTC)
CLINICS = [uuid.uuid4(), uuid.uuid4()]
PARTNER = uuid.uuid4()


def every_type() -> list[dict[str, Any]]:
    return [
        {
            "specversion": "1.0",
            "id": f"event-{index}",
            "type": event_type,
            "time": (NOW - timedelta(hours=index)).isoformat(),
            "subject": str(CLINICS[index % 2]),
            "data": data,
        }
        for index, (event_type, data) in enumerate(example_events().items())
    ]


def one_by_one(events: list[Any]) -> list[PartnerActivity | str]:
    outcomes: list[PartnerActivity | str] = []
    for raw in events:
        try:
            outcomes.append(parse_http_event(raw, now=NOW))
        except PartnerEventInvalid as problem:
            outcomes.append(str(problem))
    return outcomes


def outcomes_of(events: list[Any]) -> list[PartnerActivity | str]:
    parsed = parse_batch(json.dumps(events).encode(), now=NOW)
    return [item if isinstance(item, PartnerActivity) else str(item) for item in parsed.outcomes]


def test_a_valid_batch_is_parsed_in_one_pass_as_event_by_event() -> None:
    events = every_type()
    assert outcomes_of(events) == one_by_one(events)
    parsed = parse_batch(json.dumps(events).encode(), now=NOW)
    assert parsed.ids == [event["id"] for event in events]
    assert parsed.subjects == set(CLINICS)


@pytest.mark.parametrize(
    "spoil",
    [
        {"data": {"wait_seconds": "forty"}},
        {"data": {"wait_seconds": 4, "patient_name": "Jane Doe"}},
        {"data": None},
        {"type": "partner.fax.sent"},
        {"time": (NOW + timedelta(days=2)).isoformat()},
        {"subject": "not-a-clinic"},
    ],
)
def test_a_batch_with_a_bad_event_refuses_that_event_with_the_same_reasons(spoil: dict[str, Any]) -> None:
    events = every_type()
    events[1] = events[1] | spoil
    outcomes = outcomes_of(events)
    assert outcomes == one_by_one(events)
    assert isinstance(outcomes[1], str)
    assert all(isinstance(item, PartnerActivity) for position, item in enumerate(outcomes) if position != 1)


def test_a_missing_body_is_refused_where_the_type_requires_fields() -> None:
    events = every_type()
    no_show, missed = dict(events[6]), dict(events[1])
    del no_show["data"], missed["data"]
    outcomes = outcomes_of([no_show, missed])
    assert isinstance(outcomes[0], PartnerActivity)  # partner.appointment.no_show has no fields
    assert outcomes[1] == "data.wait_seconds: Field required"


@pytest.mark.parametrize("body", [b"not json", b'{"id": "1"}', b"[]", json.dumps([{}] * 1001).encode()])
def test_a_body_that_is_not_a_batch_is_refused_whole(body: bytes) -> None:
    with pytest.raises(BatchRefused):
        parse_batch(body, now=NOW)


def test_events_travel_under_ids_of_their_own_partner_one_record_per_clinic() -> None:
    parsed = parse_batch(json.dumps(every_type()).encode(), now=NOW)
    activities = [item for item in parsed.outcomes if isinstance(item, PartnerActivity)]
    encoded = encode_events(activities, partner_id=PARTNER, source=f"/partners/{PARTNER}")
    records = pack((activity.clinic_id, event) for activity, event in zip(activities, encoded, strict=True))

    assert set(records) == set(CLINICS)
    unpacked = [event for value in records.values() for event in json.loads(value)]
    assert sorted(event["id"] for event in unpacked) == sorted(
        event_id_for(PARTNER, activity.event_id) for activity in activities
    )
    assert event_id_for(PARTNER, "1") != event_id_for(uuid.uuid4(), "1")
    assert all(event["source"] == f"/partners/{PARTNER}" for event in unpacked)


def batch_record(value: bytes, offset: int = 0) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(
        topic=topics.PARTNER_ACTIVITY.name,
        partition=0,
        offset=offset,
        timestamp=1_700_000_000_000,
        timestamp_type=0,
        key=str(CLINICS[0]).encode(),
        value=value,
        checksum=None,
        serialized_key_size=36,
        serialized_value_size=len(value),
        headers=(
            ("content-type", BATCH_CONTENT_TYPE.encode()),
            ("traceparent", b"00-" + b"1" * 32 + b"-" + b"2" * 16 + b"-01"),
        ),
    )


def keyed(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events with their staff ids keyed, as the front door sends them on."""
    return [
        event
        | {
            "data": event["data"]
            | {"staff_id": pseudonym_for(staff, clinic_id=UUID(event["subject"]), secret="s")}
        }
        if (staff := event["data"].get("staff_id"))
        else event
        for event in events
    ]


async def test_the_consumer_counts_a_batch_records_good_events_and_parks_each_bad_one() -> None:
    events = keyed(every_type())
    events[2] = events[2] | {"data": {"wait_seconds": -5}}
    batch = await ActivityBatch.parse([batch_record(json.dumps(events).encode())], now=NOW)

    assert [activity.event_id for activity in batch.good] == [e["id"] for i, e in enumerate(events) if i != 2]
    [(parked, error)] = batch.bad
    assert "data.wait_seconds" in str(error)
    headers = dict(parked.headers)
    assert headers["ce_id"] == b"event-2"
    assert headers["dlq_batch_index"] == b"2"
    assert headers["content-type"] == b"application/cloudevents+json"
    assert json.loads(parked.value) == events[2]
    assert parked.offset == 0  # where it came from, for the dead-letter record


async def test_a_batch_record_that_is_not_a_batch_is_parked_whole() -> None:
    batch = await ActivityBatch.parse([batch_record(b"{oops")], now=NOW)
    assert batch.good == []
    [(parked, error)] = batch.bad
    assert parked.value == b"{oops"
    assert isinstance(error, BatchRefused)
