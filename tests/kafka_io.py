"""Reading and writing raw Kafka records in tests, the way a partner or an operator would."""

from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from tests.polling import eventually


async def produce(
    bootstrap: str, topic: str, value: bytes, *, key: str, headers: Mapping[str, str | bytes]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        encoded = [(name, v.encode() if isinstance(v, str) else v) for name, v in headers.items()]
        await producer.send_and_wait(topic, value, key=key.encode(), headers=encoded)
    finally:
        await producer.stop()


async def read_all(
    bootstrap: str, topic: str, client_options: Mapping[str, Any] | None = None
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on the topic right now, read from the beginning without a consumer group.

    `client_options`: kafka_client_options(settings), for a broker that wants credentials."""
    # Without a group, aiokafka assigns itself every partition of the topic.
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **(client_options or {}),
    )
    await consumer.start()
    try:

        async def assigned() -> set[TopicPartition]:
            partitions: set[TopicPartition] = consumer.assignment()
            return partitions

        await eventually(assigned, within=10, what=f"partitions of {topic}")
        partitions = list(consumer.assignment())
        end = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            batches = await consumer.getmany(*partitions, timeout_ms=500)
            for batch in batches.values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return str(value.decode())
    return None
