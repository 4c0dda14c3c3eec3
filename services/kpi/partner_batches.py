"""Partner events in CloudEvents' JSON batch format: validated in one pass, packed for Kafka.

A partner's HTTP batch is a JSON array of structured CloudEvents. Accepted events travel to
partner.activity.v1 the same way, one Kafka record per clinic of the batch: key = clinic id,
`content-type: application/cloudevents-batch+json`, value = the JSON array of that clinic's
events. The consumer unpacks such a record with `parse_batch` again, so an event is checked
by the same rules on both sides of Kafka, and a bad one is dead-lettered on its own.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Union, cast
from uuid import UUID

from pydantic import Field, TypeAdapter, ValidationError, create_model

from shared import pseudonyms
from shared.events.envelope import ContractError
from shared.events.partner import (
    MAX_CLOCK_SKEW,
    PARTNER_EVENT_BODIES,
    PartnerActivity,
    PartnerEventBody,
    PartnerEventIn,
    PartnerEventInvalid,
    parse_http_event,
)

BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"
MAX_BATCH = 1000


def _typed_event(event_type: str, body: type[PartnerEventBody]) -> type[PartnerEventIn]:
    """PartnerEventIn with `data` validated as the body of that one type."""
    only_this_type: Any = Literal[event_type]
    return create_model(
        f"{body.__name__}Event",
        __base__=PartnerEventIn,
        type=(only_this_type, ...),
        # Validated even when absent: a type whose body has required fields refuses a missing one.
        data=(body, Field(default_factory=dict, validate_default=True)),
    )


# A whole batch, envelopes and bodies, in one call of pydantic's compiled validator, the body
# model chosen by `type`: several times faster than event by event. Only a batch holding an
# invalid event is parsed again one by one, for the reasons of each.
_ONE_OF_THEM: Any = Union.__getitem__(
    tuple(_typed_event(name, body) for name, body in PARTNER_EVENT_BODIES.items())
)
_TYPED_EVENTS: Any = list[Annotated[_ONE_OF_THEM, Field(discriminator="type")]]
_EVENTS: TypeAdapter[list[PartnerEventIn]] = TypeAdapter(_TYPED_EVENTS)


class BatchRefused(ContractError):
    """The body as a whole is not a batch of events (not JSON, not an array, too many)."""


class BatchTooLarge(BatchRefused):
    """More events in one request than MAX_BATCH."""


@dataclass
class ParsedBatch:
    """Each event of a batch, in order: a validated activity, or why it was refused."""

    outcomes: list[PartnerActivity | PartnerEventInvalid]
    ids: list[str | None]  # each event's id as sent, for the answer
    subjects: set[UUID]  # every clinic the batch names, by valid and invalid events alike
    raw: list[Any] | None = None  # the decoded events, kept when some were invalid


def parse_batch(payload: bytes, *, now: datetime) -> ParsedBatch:
    """Validate a JSON array of structured CloudEvents; BatchRefused if it is not one."""
    try:
        events = _EVENTS.validate_json(payload)
    except ValidationError:
        return _parse_one_by_one(payload, now=now)
    _check_size(events)
    if max(event.time for event in events) - now > MAX_CLOCK_SKEW:
        return _parse_one_by_one(payload, now=now)  # an event from the future: say which
    return ParsedBatch(
        outcomes=[
            PartnerActivity(
                event.id, event.type, event.subject, event.time, cast(PartnerEventBody, event.data)
            )
            for event in events
        ],
        ids=[event.id for event in events],
        subjects={event.subject for event in events},
    )


def _parse_one_by_one(payload: bytes, *, now: datetime) -> ParsedBatch:
    try:
        events = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BatchRefused(f"body is not JSON ({error}); send a JSON array of CloudEvents") from error
    if not isinstance(events, list):
        raise BatchRefused("body must be a JSON array of CloudEvents")
    _check_size(events)
    outcomes: list[PartnerActivity | PartnerEventInvalid] = []
    for raw in events:
        try:
            outcomes.append(parse_http_event(raw, now=now))
        except PartnerEventInvalid as problem:
            outcomes.append(problem)
    return ParsedBatch(
        outcomes=outcomes,
        ids=[_field(raw, "id") for raw in events],
        subjects={subject for subject in map(_subject_of, events) if subject is not None},
        raw=events,
    )


def _check_size(events: list[Any]) -> None:
    if not events:
        raise BatchRefused("body must be a non-empty JSON array of CloudEvents")
    if len(events) > MAX_BATCH:
        raise BatchTooLarge(f"{len(events)} events in one request; send at most {MAX_BATCH:,} a request")


def _field(raw: Any, name: str) -> str | None:
    value = raw.get(name) if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


def _subject_of(raw: Any) -> UUID | None:
    subject = _field(raw, "subject")
    try:
        return UUID(subject) if subject is not None else None
    except ValueError:
        return None


def pseudonymised(activities: list[PartnerActivity], *, secret: str) -> list[PartnerActivity]:
    """The activities with each partner staff id replaced by faio's keyed pseudonym for its clinic.

    Called at the one way in (an HTTP batch, before it is stored), so a raw id reaches no table,
    outbox row, topic or aggregate; the consumer refuses a record with a raw id
    (services.kpi.partner_edge). Mapping is idempotent.
    """
    mapped = []
    for activity in activities:
        raw = getattr(activity.body, "staff_id", None)
        if raw is None or pseudonyms.is_issued(raw):
            mapped.append(activity)
            continue
        staff_id = pseudonyms.pseudonym_for(raw, clinic_id=activity.clinic_id, secret=secret)
        mapped.append(activity._replace(body=activity.body.model_copy(update={"staff_id": staff_id})))
    return mapped


def event_id_for(partner_id: UUID, event_id: str) -> str:
    """The id an accepted event travels under: the partner's own id, made unique per partner.

    Partners choose their ids; two of them may both send "1". The aggregator recognises a
    redelivered event by its id, so each partner's ids are kept apart before they meet there.
    """
    return hashlib.sha1(partner_id.bytes + event_id.encode(), usedforsecurity=False).hexdigest()


def encode_events(activities: list[PartnerActivity], *, partner_id: UUID, source: str) -> list[str]:
    """Each validated event as the structured CloudEvent it travels as, under its per-partner id."""
    source_json = json.dumps(source)
    clinics: dict[UUID, str] = {}  # a batch names few clinics: each formatted once
    encoded = []
    for activity in activities:
        clinic = clinics.get(activity.clinic_id)
        if clinic is None:
            clinic = clinics[activity.clinic_id] = str(activity.clinic_id)
        event_id = event_id_for(partner_id, activity.event_id)
        encoded.append(
            f'{{"specversion":"1.0","source":{source_json},"id":"{event_id}",'
            f'"type":"{activity.type}","subject":"{clinic}","time":"{activity.occurred_at.isoformat()}",'
            f'"data":{activity.body.model_dump_json(exclude_none=True)}}}'
        )
    return encoded


def pack(events: Iterable[tuple[UUID, str]]) -> dict[UUID, bytes]:
    """Encoded events (clinic, JSON) as one JSON batch per clinic: the value of its Kafka record."""
    by_clinic: dict[UUID, list[str]] = {}
    for clinic_id, event in events:
        by_clinic.setdefault(clinic_id, []).append(event)
    return {clinic: ("[" + ",".join(batch) + "]").encode() for clinic, batch in by_clinic.items()}


def event_json(parsed: ParsedBatch, payload: bytes, index: int) -> bytes:
    """One event of a batch as JSON on its own (what a dead-letter record keeps of it)."""
    events = parsed.raw if parsed.raw is not None else json.loads(payload)
    return json.dumps(events[index]).encode()
