"""Kafka through FastStream: a broker with safe producer settings, reliable consumers, topics.

The libraries' defaults are weaker than we need (see DESIGN.md): producers default to
acks=1 without idempotence, and FastStream has no dead-letter topic. So every broker here
publishes with acks="all" and idempotence on, and every subscriber commits only after
its handler finished, retries a bounded number of times, then dead-letters the message.
"""

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream._internal.basic_types import AsyncFuncAny
from faststream._internal.middlewares import BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.kafka.security import parse_security
from faststream.message import StreamMessage
from faststream.security import SASLScram512
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from shared.counters import DEAD_LETTERS
from shared.dlq import BODY_WITHHELD_HEADER, BODY_WITHHELD_REASON
from shared.events.envelope import ContractError
from shared.pseudonyms import NotAPseudonym
from shared.settings import SharedSettings
from shared.topics import all_topic_names, topic_configs

log = logging.getLogger(__name__)

# Errors that no retry can fix: the message itself is wrong.
CONTRACT_ERRORS = (ContractError, ValidationError, json.JSONDecodeError, UnicodeDecodeError)


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


def describe_error(error: BaseException) -> str:
    """A reason a person can act on: for validation errors, each field and what is wrong."""
    if isinstance(error, ValidationError):
        problems = [
            f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}"
            for item in error.errors()
        ]
        return "invalid event: " + "; ".join(problems)
    return f"{type(error).__name__}: {error}"


class DeadLetterMiddleware(BaseMiddleware):
    """Retry a failing handler a bounded number of times, then park the message in `<topic>.dlq`.

    The message is only acknowledged (its offset committed) after this returns, so a crash
    mid-way redelivers it. If even the dead-letter publish fails the error propagates and the
    subscriber's NACK policy seeks back: the message is retried, never lost.
    """

    max_attempts = 3
    retry_delay_seconds = 0.2

    async def consume_scope(self, call_next: AsyncFuncAny, msg: StreamMessage[Any]) -> Any:
        error: BaseException | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                return await call_next(msg)
            except CONTRACT_ERRORS as contract_error:
                error = contract_error
                break
            except Exception as processing_error:  # noqa: BLE001 - bounded retry, then dead-letter
                error = processing_error
                log.warning("attempt %s of %s failed: %s", attempt, self.max_attempts, error)
                if attempt < self.max_attempts:
                    await asyncio.sleep(self.retry_delay_seconds * attempt)
        assert error is not None
        if isinstance(msg.raw_message, tuple):
            # A batch subscriber dead-letters its bad records itself (dead_letter_record) and
            # processes the rest; what escapes is a failure of the whole batch (the database is
            # down, say). Parking every record of it would be wrong: re-raise, so the NACK
            # policy seeks back and the batch is delivered again.
            raise error
        await self._dead_letter(msg, error, attempts=attempt)
        return None

    async def _dead_letter(self, msg: StreamMessage[Any], error: BaseException, attempts: int) -> None:
        await dead_letter_record(self.context.get("broker"), msg.raw_message, error, attempts=attempts)


@runtime_checkable
class PersonalDataRefusal(Protocol):
    """A refusal that knows whether the refused record may hold patient data or a person's name."""

    holds_personal_data: bool


def may_hold_personal_data(error: BaseException) -> bool:
    """Whether the code that refused the record flagged it as patient data or a person's name.

    Decided by the refusal's type and flags, never by its text: a reason that merely mentions
    patient data does not drop a body, and rewording a reason cannot start keeping one.
    """
    if isinstance(error, ValidationError):
        # A pydantic validator raised the refusal (a StaffPseudonym field): pydantic keeps it in ctx.
        return any(
            isinstance(refusal := item.get("ctx", {}).get("error"), NotAPseudonym) and refusal.may_be_a_name
            for item in error.errors()
        )
    return isinstance(error, PersonalDataRefusal) and error.holds_personal_data


async def dead_letter_record(
    broker: KafkaBroker, record: ConsumerRecord[Any, Any], error: BaseException, *, attempts: int = 1
) -> None:
    """Park one record in `<topic>.dlq` with the reason and where it came from.

    Batch subscribers call this for each bad record of a batch and go on with the rest.
    """
    reason = describe_error(error)[:2000]
    withhold = may_hold_personal_data(error)
    headers = {key: value.decode(errors="replace") for key, value in (record.headers or ())}
    if withhold:
        headers[BODY_WITHHELD_HEADER] = BODY_WITHHELD_REASON
    headers.update(
        {
            "dlq_reason": reason,
            "dlq_original_topic": record.topic,
            "dlq_original_partition": str(record.partition),
            "dlq_original_offset": str(record.offset),
            "dlq_attempts": str(attempts),
        }
    )
    DEAD_LETTERS.labels(record.topic, type(error).__name__).inc()
    log.error("dead-lettering %s@%s:%s: %s", record.topic, record.partition, record.offset, error)
    # The original bytes go as they came, so the event can be inspected and replayed; unless it was
    # refused for looking like patient data or a name, which must not sit on a topic for 30 days.
    await broker.publish(
        b"" if withhold else record.value or b"",
        topic=dead_letter_topic(record.topic),
        key=record.key,
        headers=headers,
    )


def kafka_security(settings: SharedSettings) -> SASLScram512 | None:
    """SASL/SCRAM-SHA-512 over TLS when the settings ask for it; None (plaintext) otherwise."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    # Verifies the broker's certificate and host name; the CA file when the brokers use a private CA.
    context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile or None)
    return SASLScram512(
        settings.kafka_sasl_username,
        settings.kafka_sasl_password.get_secret_value(),
        ssl_context=context,
        use_ssl=True,
    )


def kafka_client_options(settings: SharedSettings) -> dict[str, Any]:
    """The same security as keyword arguments of aiokafka's own clients (consumer, producer, admin)."""
    return parse_security(kafka_security(settings))


def create_broker(
    settings: SharedSettings,
    tracer_provider: TracerProvider | None = None,
    metrics_registry: CollectorRegistry | None = None,
) -> KafkaBroker:
    """A broker that publishes durably, and traces and counts every publish and consume."""
    measured = (
        ()
        if metrics_registry is None
        else (KafkaPrometheusMiddleware(registry=metrics_registry, app_name=settings.service_name),)
    )

    class ConfiguredDeadLetter(DeadLetterMiddleware):
        max_attempts = settings.consumer_max_attempts

    return KafkaBroker(
        # "host:port,host:port" (a cluster) as a list: FastStream passes a string on as one host.
        settings.kafka_bootstrap_servers.split(","),
        acks="all",
        enable_idempotence=True,
        client_id=f"faio-{settings.service_name}",
        security=kafka_security(settings),
        # Outermost first: the consume span covers every retry and the dead-letter publish.
        middlewares=(
            KafkaTelemetryMiddleware(tracer_provider=tracer_provider),
            *measured,
            ConfiguredDeadLetter,
        ),
    )


def consumer_options(settings: SharedSettings, topic: str) -> dict[str, Any]:
    """How every faio subscriber consumes: committing after processing, one group per topic.

    A group per (service, topic) rather than one per service: subscribers sharing a group make
    every start-up a chain of rebalances (each member rejoins on its next heartbeat), while
    separate groups settle at once. Instances of a service still share each topic's group.
    """
    return {
        "group_id": f"{settings.consumer_group}.{topic}",
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
    }


async def ensure_topics(
    bootstrap_servers: str,
    topics: dict[str, int] | None = None,
    *,
    client_options: Mapping[str, Any] | None = None,
) -> None:
    """Create every topic of the registry that does not exist yet (auto-create is off).

    `client_options`: kafka_client_options(settings), when the broker wants credentials.
    """
    wanted = all_topic_names() if topics is None else topics
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **(client_options or {}))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        configs = topic_configs()
        # On a cluster of three or more, each partition survives a lost broker and an acknowledged
        # write (acks=all) is on two of them at least.
        replicas = 3 if len((await admin.describe_cluster())["brokers"]) >= 3 else 1
        durable = {"min.insync.replicas": "2"} if replicas == 3 else {}
        missing = [
            NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=replicas,
                topic_configs={**durable, **configs.get(name, {})},
            )
            for name, partitions in wanted.items()
            if name not in existing
        ]
        if missing:
            # Another service may create them at the same moment.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()
