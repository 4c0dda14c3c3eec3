"""The front door is the only partner edge: the consumer refuses raw staff ids, and no dead letter of
partner.activity.v1 carries one (it keeps them keyed, or drops what it cannot key)."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from faststream.kafka import KafkaBroker

from services.kpi.aggregate import ActivityBatch, ActivityWriter
from services.kpi.partner_batches import BATCH_CONTENT_TYPE, event_id_for
from services.kpi.partner_edge import RAW_STAFF_ID_REASON, dead_letter_copy
from shared import topics
from shared.db import SessionFactory
from shared.dlq import BODY_WITHHELD_HEADER
from shared.pseudonyms import is_issued, pseudonym_for
from shared.settings import DEV_PSEUDONYM_SECRET
from tests.front_door import TEST_PARTNER, front_door_records

NOW = datetime.now(UTC)
CLINIC = uuid.uuid4()
RAW = "u-81f2c9"
SECRET = DEV_PSEUDONYM_SECRET


def record(value: bytes, headers: dict[str, bytes], *, key: bytes | None = None) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(
        topic=topics.PARTNER_ACTIVITY.name,
        partition=0,
        offset=3,
        timestamp=1_700_000_000_000,
        timestamp_type=0,
        key=str(CLINIC).encode() if key is None else key,
        value=value,
        checksum=None,
        serialized_key_size=36,
        serialized_value_size=len(value),
        headers=tuple(headers.items()),
    )


def binary_session(staff_id: str, *, subject: bool = True) -> ConsumerRecord[Any, Any]:
    """An AI-tool session as a producer writing straight to Kafka sends it (binary mode)."""
    headers = {
        "ce_id": b"direct-1",
        "ce_type": b"partner.ai_tool.session",
        "ce_source": b"/vendor",
        "ce_specversion": b"1.0",
        "ce_time": (NOW - timedelta(hours=1)).isoformat().encode(),
    } | ({"ce_subject": str(CLINIC).encode()} if subject else {})
    return record(json.dumps({"staff_id": staff_id, "tool": "scribe", "minutes": 9}).encode(), headers)


def event(event_id: str, data: dict[str, Any], event_type: str = "partner.ai_tool.session") -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "type": event_type,
        "time": (NOW - timedelta(hours=2)).isoformat(),
        "subject": str(CLINIC),
        "data": data,
    }


def batch_record(events: list[dict[str, Any]]) -> ConsumerRecord[Any, Any]:
    return record(json.dumps(events).encode(), {"content-type": BATCH_CONTENT_TYPE.encode()})


async def test_a_record_with_a_raw_staff_id_is_refused_with_the_reason() -> None:
    batch = await ActivityBatch.parse([binary_session(RAW)], now=NOW)

    assert batch.good == []
    [(_parked, error)] = batch.bad
    assert "data.staff_id" in str(error) and RAW_STAFF_ID_REASON in str(error)
    assert "staff ids must come through the partner API" in RAW_STAFF_ID_REASON
    assert RAW not in str(error)


async def test_a_keyed_staff_id_and_what_the_front_door_publishes_are_counted() -> None:
    keyed = pseudonym_for(RAW, clinic_id=CLINIC, secret=SECRET)
    events = [
        event("1", {"staff_id": RAW, "tool": "scribe", "minutes": 9}),
        event(
            "2", {"documentation_minutes": 4.0, "ai_assisted": True, "staff_id": RAW}, "partner.note.signed"
        ),
        event("3", {"wait_seconds": 4}, "partner.call.answered"),
    ]
    [(clinic, value)] = front_door_records(events, now=NOW).items()
    assert clinic == CLINIC and RAW.encode() not in value

    batch = await ActivityBatch.parse([binary_session(keyed), batch_record(json.loads(value))], now=NOW)

    assert batch.bad == []
    assert [activity.event_id for activity in batch.good] == ["direct-1"] + [
        event_id_for(TEST_PARTNER, event_id) for event_id in ("1", "2", "3")
    ]
    assert {getattr(activity.body, "staff_id", keyed) for activity in batch.good} == {keyed}


async def test_a_raw_staff_id_in_a_batch_parks_that_event_alone_and_its_dead_letter_is_keyed() -> None:
    good = event("good", {"wait_seconds": 4}, "partner.call.answered")
    raw = event("raw", {"staff_id": RAW, "tool": "scribe", "minutes": 9})

    batch = await ActivityBatch.parse([batch_record([good, raw])], now=NOW)

    assert [activity.event_id for activity in batch.good] == ["good"]
    [(parked, error)] = batch.bad
    assert RAW_STAFF_ID_REASON in str(error)
    copy = dead_letter_copy(parked, secret=SECRET)
    assert RAW.encode() not in copy.value
    assert json.loads(copy.value)["data"]["staff_id"] == pseudonym_for(RAW, clinic_id=CLINIC, secret=SECRET)


def test_dead_letter_copies_key_every_shape_and_drop_what_they_cannot_key() -> None:
    expected = pseudonym_for(RAW, clinic_id=CLINIC, secret=SECRET)
    # A binary-mode body, its clinic from ce_subject (or the key when there is none).
    assert json.loads(dead_letter_copy(binary_session(RAW), secret=SECRET).value)["staff_id"] == expected
    no_subject = binary_session(RAW, subject=False)
    assert json.loads(dead_letter_copy(no_subject, secret=SECRET).value)["staff_id"] == expected
    # A whole batch (refused as such): each event keyed for its own subject.
    other = uuid.uuid4()
    events = [event("a", {"staff_id": RAW}), event("b", {"staff_id": RAW}) | {"subject": str(other)}]
    keyed = json.loads(dead_letter_copy(batch_record(events), secret=SECRET).value)
    assert [item["data"]["staff_id"] for item in keyed] == [
        expected,
        pseudonym_for(RAW, clinic_id=other, secret=SECRET),
    ]
    # No clinic to key it for: the staff id is dropped, the rest kept.
    nowhere = record(json.dumps({"staff_id": RAW, "minutes": 9}).encode(), {}, key=b"not-a-clinic")
    assert json.loads(dead_letter_copy(nowhere, secret=SECRET).value) == {"minutes": 9}
    # Not JSON, but it names a staff id: the body is withheld.
    broken = dead_letter_copy(record(b'{"staff_id": "' + RAW.encode() + b'", oops', {}), secret=SECRET)
    assert broken.value == b"" and BODY_WITHHELD_HEADER in dict(broken.headers)
    # Nothing to key: the record itself, untouched.
    plain = record(b'{"wait_seconds": 3}', {})
    assert dead_letter_copy(plain, secret=SECRET) is plain


class Published:
    """Stands in for the broker: keeps what dead_letter_record publishes."""

    def __init__(self) -> None:
        self.messages: list[tuple[bytes, dict[str, str]]] = []

    async def publish(self, body: bytes, *, topic: str, key: bytes | None, headers: dict[str, str]) -> None:
        self.messages.append((body, headers))


class Committed:
    """Stands in for aiokafka's consumer: keeps the offsets committed."""

    def __init__(self) -> None:
        self.offsets: list[dict[Any, int]] = []

    async def commit(self, offsets: dict[Any, int]) -> None:
        self.offsets.append(offsets)


async def test_the_dead_letter_the_writer_publishes_for_a_raw_staff_id_carries_only_the_keyed_one() -> None:
    batch = await ActivityBatch.parse([binary_session(RAW)], now=NOW)
    broker, consumer = Published(), Committed()
    writer = ActivityWriter(cast(SessionFactory, None), cast(KafkaBroker, broker), pseudonym_secret=SECRET)

    await writer.submit(batch, cast(AIOKafkaConsumer, consumer))
    await writer.close()

    assert len(consumer.offsets) == 1  # parked, then committed: nothing left to redeliver
    [(body, headers)] = broker.messages
    assert RAW not in body.decode() and RAW not in json.dumps(headers)
    assert is_issued(json.loads(body)["staff_id"])
    assert "staff ids must come through the partner API" in headers["dlq_reason"]
