"""Which dead letters keep their body: decided by the refusal's flag, never by its wording."""

import json
from typing import Any, cast

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from pydantic import BaseModel, ValidationError

from shared.broker import dead_letter_record
from shared.dlq import BODY_WITHHELD_HEADER
from shared.events.envelope import ContractError
from shared.events.partner import PHI_REASON, FieldProblem, PartnerEventInvalid
from shared.pseudonyms import NEVER_A_NAME, StaffPseudonym

BODY = json.dumps({"wait_seconds": 5}).encode()


class Published:
    """Stands in for the broker: keeps what dead_letter_record publishes."""

    def __init__(self) -> None:
        self.messages: list[tuple[bytes, dict[str, str]]] = []

    async def publish(self, body: bytes, *, topic: str, key: bytes | None, headers: dict[str, str]) -> None:
        assert topic == "partner.activity.v1.dlq"
        self.messages.append((body, headers))


def record() -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(
        topic="partner.activity.v1",
        partition=0,
        offset=7,
        timestamp=1_700_000_000_000,
        timestamp_type=0,
        key=b"clinic",
        value=BODY,
        checksum=None,
        serialized_key_size=6,
        serialized_value_size=len(BODY),
        headers=(("ce_id", b"event-7"),),
    )


async def park(error: BaseException) -> tuple[bytes, dict[str, str]]:
    broker = Published()
    await dead_letter_record(cast(KafkaBroker, broker), record(), error)
    (message,) = broker.messages
    return message


class Owned(BaseModel):
    owner: StaffPseudonym


def refused_owner(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        Owned(owner=value)
    return refused.value


async def test_a_refusal_that_only_mentions_patient_data_or_names_keeps_its_body() -> None:
    wording = f"the partner's note says: {PHI_REASON}; staff ids are {NEVER_A_NAME}"

    for error in (
        ContractError(wording),
        PartnerEventInvalid([FieldProblem("data.queue", wording)]),
        ValueError(wording),
    ):
        body, headers = await park(error)
        assert body == BODY, error
        assert BODY_WITHHELD_HEADER not in headers
        assert PHI_REASON in headers["dlq_reason"]


async def test_a_refusal_flagged_as_patient_data_drops_the_body() -> None:
    flagged = PartnerEventInvalid(
        [FieldProblem("data.queue", "unknown field"), FieldProblem("data.mrn", "refused", personal_data=True)]
    )

    body, headers = await park(flagged)

    assert body == b""
    assert BODY_WITHHELD_HEADER in headers
    assert headers["ce_id"] == "event-7" and headers["dlq_original_offset"] == "7"


async def test_a_staff_id_refused_as_a_name_drops_the_body_and_one_refused_for_its_length_keeps_it() -> None:
    body, headers = await park(refused_owner("Jane Doe"))
    assert body == b"" and BODY_WITHHELD_HEADER in headers

    body, headers = await park(refused_owner("x" * 65))
    assert body == BODY and BODY_WITHHELD_HEADER not in headers
