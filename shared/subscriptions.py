"""Kafka subscriptions declared, not hand-written: topic -> event contract -> domain function.

A service lists what it consumes, one row per topic:

    SUBSCRIPTIONS = (
        Subscription(topics.CLINIC_REGISTERED, ClinicRegistered, service.record_clinic),
        Subscription(topics.CLINIC_ARCHIVED, ClinicArchived, service.archive_clinic),
    )

and `kafka_router` makes a FastStream subscriber of each, with faio's reliability rules: the
body is validated against the contract (a bad one is dead-lettered with the reason at once,
shared/broker.py); the domain function is called as `apply(session=..., event=...)` in one
transaction with the event's inbox row (shared/inbox.py), so a redelivery changes nothing; a
failure is retried a bounded number of times, then dead-lettered; the offset is committed only
after that (consumer_options). A `BatchSubscription` does the same for a batch of records in
one transaction, dead-lettering each bad record alone.

The subscriber is named `on_<event>` (`on_clinic_registered`) and its inbox consumer
`<service>.on_<event>`; those names are kept in the inbox, so they must not change.
"""

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Generic, Protocol, TypeVar, cast

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.app import ServiceRuntime
from shared.broker import CONTRACT_ERRORS, consumer_options, dead_letter_record
from shared.events.envelope import Envelope, EventBody
from shared.inbox import apply_once, first_deliveries
from shared.topics import Topic

E = TypeVar("E", bound=EventBody)
E_contra = TypeVar("E_contra", bound=EventBody, contravariant=True)


class Apply(Protocol[E_contra]):
    """A domain function that applies one event in the caller's transaction, which commits."""

    def __call__(self, *, session: AsyncSession, event: E_contra) -> Awaitable[object]: ...


class ApplyWithEnvelope(Protocol[E_contra]):
    """As Apply, also given the event's CloudEvents attributes (its ce_time, say)."""

    def __call__(
        self, *, session: AsyncSession, event: E_contra, envelope: Envelope
    ) -> Awaitable[object]: ...


class ApplyBatch(Protocol[E_contra]):
    """A domain function that applies many events of one topic in the caller's transaction."""

    def __call__(self, *, session: AsyncSession, events: Sequence[E_contra]) -> Awaitable[object]: ...


@dataclass(frozen=True)
class Subscription(Generic[E]):
    """Each event of `topic`, validated as `contract`, applied once by `apply`.

    `waits_for` is awaited before the transaction opens, for what `apply` needs and may have to
    wait for (roadmap's Temporal client): no database lock is held meanwhile. It raises (a
    TimeoutError) to have the event retried, then dead-lettered.
    """

    topic: Topic
    contract: type[E]
    apply: Apply[E] | ApplyWithEnvelope[E]
    waits_for: Callable[[], Awaitable[object]] | None = None
    name: str = ""  # on_<event> by default; the inbox knows the consumer by it

    def __post_init__(self) -> None:
        _check_topic(self.topic, self.contract)
        if not self.name:
            object.__setattr__(self, "name", handler_name(self.contract))


@dataclass(frozen=True)
class BatchSubscription(Generic[E]):
    """Records of `topic` consumed up to `max_records` at a time and applied in one transaction.

    For bursts (every clinic's KPI week at once): a few commits instead of thousands. Each
    event is still applied once (inbox rows, a redelivered one skipped); a record that breaks
    the contract is dead-lettered alone and the rest applied. A failure of the whole batch (the
    database is down) is retried, then the batch is delivered again, never dead-lettered.
    """

    topic: Topic
    contract: type[E]
    apply: ApplyBatch[E]
    max_records: int
    timeout_ms: int = 100
    name: str = ""

    def __post_init__(self) -> None:
        _check_topic(self.topic, self.contract)
        if not self.name:
            object.__setattr__(self, "name", handler_name(self.contract))


AnySubscription = Subscription[Any] | BatchSubscription[Any]


def handler_name(contract: type[EventBody]) -> str:
    """`on_clinic_registered` for ClinicRegistered."""
    return "on_" + re.sub(r"(?<!^)(?=[A-Z])", "_", contract.__name__).lower()


def _check_topic(topic: Topic, contract: type[EventBody]) -> None:
    if topic != contract.topic:
        raise ValueError(f"{contract.__name__} travels on {contract.topic.name}, not {topic.name}")


def kafka_router(
    runtime: ServiceRuntime,
    *,
    service: str,
    subscriptions: Sequence[AnySubscription] = (),
    publishes: Mapping[type[EventBody], str] | None = None,
) -> KafkaRouter:
    """A service's Kafka router: a subscriber per subscription, a documented publisher per event sent.

    `service` names the inbox consumers (`audit.on_clinic_registered`); `publishes` maps each
    event the service sends (through its outbox relay) to its description at /asyncapi.
    """
    names = [subscription.name for subscription in subscriptions]
    if len(set(names)) != len(names):
        raise ValueError(f"{service} subscribes twice under one name: {names}")
    router = KafkaRouter()
    for subscription in subscriptions:
        topic = subscription.topic.name
        consumer = f"{service}.{subscription.name}"
        if isinstance(subscription, BatchSubscription):
            router.subscriber(
                topic,
                batch=True,
                max_records=subscription.max_records,
                batch_timeout_ms=subscription.timeout_ms,
                decoder=_raw_batch,
                **consumer_options(runtime.settings, topic),
            )(_batch_handler(subscription, runtime, consumer))
        else:
            router.subscriber(topic, **consumer_options(runtime.settings, topic))(
                _handler(subscription, runtime, consumer)
            )
    for contract, description in (publishes or {}).items():
        router.publisher(contract.topic.name, description=description, schema=contract)
    return router


def _handler(subscription: Subscription[Any], runtime: ServiceRuntime, consumer: str) -> Callable[..., Any]:
    apply = cast(Callable[..., Awaitable[object]], subscription.apply)
    with_envelope = "envelope" in inspect.signature(apply).parameters
    waits_for = subscription.waits_for

    async def handler(event: EventBody, message: KafkaMessage) -> None:
        if waits_for is not None:
            await waits_for()
        given = {"envelope": Envelope.from_headers(message.headers)} if with_envelope else {}
        await apply_once(
            runtime.sessions,
            headers=message.headers,
            consumer=consumer,
            effect=lambda session: apply(session=session, event=event, **given),
        )

    # FastStream validates the body against the parameter's annotation and documents it at
    # /asyncapi under the function's name: the contract's, as in a hand-written `on_<event>`.
    handler.__annotations__ = {"event": subscription.contract, "message": KafkaMessage, "return": None}
    handler.__name__ = handler.__qualname__ = subscription.name
    return handler


def _batch_handler(
    subscription: BatchSubscription[Any], runtime: ServiceRuntime, consumer: str
) -> Callable[..., Any]:
    contract = subscription.contract

    async def handler(body: list[bytes], message: KafkaMessage) -> None:
        records: tuple[ConsumerRecord[Any, Any], ...] = message.raw_message
        valid: list[tuple[str, EventBody]] = []
        for record in records:
            try:
                headers = {name: value.decode() for name, value in record.headers or ()}
                valid.append(
                    (Envelope.from_headers(headers).id, contract.model_validate_json(record.value or b""))
                )
            except CONTRACT_ERRORS as error:
                await dead_letter_record(runtime.broker, record, error)
        if not valid:
            return
        async with runtime.sessions() as session:
            fresh = await first_deliveries(session, consumer=consumer, events=valid, event_id=itemgetter(0))
            if fresh:
                await subscription.apply(session=session, events=[event for _, event in fresh])
            await session.commit()

    handler.__name__ = handler.__qualname__ = subscription.name
    return handler


async def _raw_batch(message: StreamMessage[Any]) -> Any:
    """The batch's values as bytes: each record is validated on its own (a bad one is parked)."""
    return message.body
