"""Dead-lettered records: list them with their reasons, show one, replay it once fixed.

A consumer parks a record it cannot process in `<topic>.dlq` with its original bytes, its
original headers and `dlq_*` headers saying why and where it came from (shared/broker.py).
A replay publishes the original bytes and headers to the original topic, with the clinic key;
consumers are idempotent on `ce_id`, so replaying an event that was applied meanwhile, or
replaying it twice, changes nothing.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.topics import ALL_TOPICS

DLQ_HEADER_PREFIX = "dlq_"
REPLAYED_FROM = "faio_replayed_from"
# Set on records refused as patient data or a name: their body is not kept (shared/broker.py).
BODY_WITHHELD_HEADER = "dlq_body_withheld"
BODY_WITHHELD_REASON = (
    "the body was dropped because it looked like patient data or a person's name; "
    "ask the sender to send it again without it"
)
ASSIGNMENT_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class DeadLetter:
    """One parked record: where it sits, where it came from and why it was parked."""

    topic: str  # the dead-letter topic
    partition: int
    offset: int
    original_topic: str
    reason: str
    attempts: int
    event_id: str
    event_type: str
    key: str
    parked_at: datetime
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    @property
    def body_withheld(self) -> str | None:
        """Why the body was not kept (it looked like patient data or a name), or None."""
        for name, value in self.headers:
            if name == BODY_WITHHELD_HEADER:
                return value.decode(errors="replace")
        return None

    @property
    def id(self) -> str:
        """What a person copies to show or replay it: `<dlq topic>:<partition>:<offset>`."""
        return f"{self.topic}:{self.partition}:{self.offset}"

    def original_headers(self) -> list[tuple[str, bytes]]:
        """The headers the record had before it was parked (without the dead-letter notes)."""
        return [(name, value) for name, value in self.headers if not name.startswith(DLQ_HEADER_PREFIX)]


class NothingToReplay(ValueError):
    """The record's body was withheld, so there is nothing to publish again."""


class DeadLetterNotFound(LookupError):
    """No record at that id; the message says what ids look like."""


def parse_id(dead_letter_id: str) -> tuple[str, int, int]:
    """`<dlq topic>:<partition>:<offset>` as its parts, or ValueError saying what is expected."""
    topic, _, rest = dead_letter_id.rpartition(":")
    topic, _, partition = topic.rpartition(":")
    if not topic.endswith(".dlq") or not partition.isdigit() or not rest.isdigit():
        raise ValueError(
            f"{dead_letter_id!r} is not a dead-letter id: expected <topic>.dlq:<partition>:<offset>, "
            "as `faio dlq list` prints it"
        )
    return topic, int(partition), int(rest)


def dead_letter_topics(only: str | None = None) -> list[str]:
    """Every dead-letter topic of the registry, or the one for `only` (a topic or its .dlq)."""
    names = [topic.dead_letter for topic in ALL_TOPICS]
    if only is None:
        return names
    wanted = only if only.endswith(".dlq") else f"{only}.dlq"
    if wanted not in names:
        raise ValueError(f"unknown topic {only!r}: one of " + ", ".join(topic.name for topic in ALL_TOPICS))
    return [wanted]


def _dead_letter(record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
    headers = tuple((name, value or b"") for name, value in (record.headers or ()))
    text = {name: value.decode(errors="replace") for name, value in headers}
    attempts = text.get("dlq_attempts", "0")
    return DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        original_topic=text.get("dlq_original_topic", record.topic.removesuffix(".dlq")),
        reason=text.get("dlq_reason", "(no reason recorded)"),
        attempts=int(attempts) if attempts.isdigit() else 0,
        event_id=text.get("ce_id", ""),
        event_type=text.get("ce_type", ""),
        key=(record.key or b"").decode(errors="replace"),
        parked_at=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        value=record.value or b"",
        headers=headers,
    )


async def read_dead_letters(
    bootstrap: str, topics: Sequence[str], *, limit: int = 1000, **client_options: Any
) -> list[DeadLetter]:
    """The parked records of `topics` as they are now, oldest first, at most `limit` of them."""
    # Without a group, a subscribed consumer assigns itself every partition of its topics.
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **client_options,
    )
    await consumer.start()
    try:
        partitions = await _assigned(consumer, len(topics))
        end = await consumer.end_offsets(partitions)
        found: list[DeadLetter] = []
        while len(found) < limit and [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            batches = await consumer.getmany(*partitions, timeout_ms=1000)
            for tp, records in batches.items():
                found.extend(_dead_letter(record) for record in records if record.offset < end[tp])
        return sorted(found, key=lambda letter: letter.parked_at)[:limit]
    finally:
        await consumer.stop()


async def _assigned(consumer: AIOKafkaConsumer, topic_count: int) -> list[TopicPartition]:
    """The consumer's partitions once it knows every topic's (a few seconds at most)."""
    deadline = asyncio.get_running_loop().time() + ASSIGNMENT_WAIT_SECONDS
    while True:
        partitions: set[TopicPartition] = consumer.assignment()
        if (
            len({tp.topic for tp in partitions}) >= topic_count
            or asyncio.get_running_loop().time() > deadline
        ):
            return sorted(partitions)
        await asyncio.sleep(0.05)


async def find_dead_letter(bootstrap: str, dead_letter_id: str, **client_options: Any) -> DeadLetter:
    """The record at `<dlq topic>:<partition>:<offset>`, or DeadLetterNotFound."""
    topic, partition, offset = parse_id(dead_letter_id)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **client_options)
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        try:
            end = (await asyncio.wait_for(consumer.end_offsets([tp]), ASSIGNMENT_WAIT_SECONDS))[tp]
        except TimeoutError as error:
            raise DeadLetterNotFound(f"{dead_letter_id}: the topic has no partition {partition}") from error
        if offset >= end:
            raise DeadLetterNotFound(
                f"{dead_letter_id}: no record at that offset (the partition ends at {end})"
            )
        consumer.seek(tp, offset)
        record = await consumer.getone(tp)
        if record.offset != offset:
            raise DeadLetterNotFound(f"{dead_letter_id}: that record was removed by the topic's retention")
        return _dead_letter(record)
    finally:
        await consumer.stop()


async def replay(bootstrap: str, letter: DeadLetter, **client_options: Any) -> None:
    """Publish the parked record's original bytes and headers to its original topic, durably."""
    if letter.body_withheld:
        raise NothingToReplay(f"{letter.id}: {letter.body_withheld}")
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **client_options
    )
    await producer.start()
    try:
        headers = [*letter.original_headers(), (REPLAYED_FROM, letter.id.encode())]
        await producer.send_and_wait(
            letter.original_topic, letter.value, key=letter.key.encode() or None, headers=headers
        )
    finally:
        await producer.stop()
