"""The CloudEvents 1.0 envelope in Kafka binary mode, and the base of every event body.

Attributes travel as `ce_*` headers (plus W3C `traceparent`, added by the telemetry
middleware); the Kafka key is the clinic id so each clinic's events stay in order;
the value is the JSON of a pydantic model that refuses unknown fields.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar
from uuid import uuid4

from pydantic import BaseModel, ConfigDict

from shared import clock
from shared.topics import Topic

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


class ContractError(ValueError):
    """An event that breaks the contract: retrying it can never succeed."""


class EventBody(BaseModel):
    """Base of every event body. Unknown fields are an error, never silently dropped."""

    # Finite numbers only: JSON has no Infinity or NaN, and a consumer would refuse the event.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    topic: ClassVar[Topic]


@dataclass(frozen=True)
class Envelope:
    """The CloudEvents attributes of one event."""

    type: str
    source: str
    subject: str  # the clinic id
    id: str = field(default_factory=lambda: str(uuid4()))
    time: datetime = field(default_factory=clock.now)
    specversion: str = SPEC_VERSION

    def to_headers(self) -> dict[str, str]:
        return {
            "ce_id": self.id,
            "ce_type": self.type,
            "ce_source": self.source,
            "ce_subject": self.subject,
            "ce_time": self.time.isoformat(),
            "ce_specversion": self.specversion,
            "content-type": CONTENT_TYPE,
        }

    @classmethod
    def from_headers(cls, headers: Mapping[str, str | bytes]) -> "Envelope":
        """Read the `ce_*` headers; raise ContractError naming what is missing or wrong."""

        def text(name: str) -> str:
            value = headers.get(name)
            if value in (None, "", b""):
                raise ContractError(f"header {name} is required")
            return value.decode() if isinstance(value, bytes) else value

        specversion = text("ce_specversion")
        if specversion != SPEC_VERSION:
            raise ContractError(f"header ce_specversion must be {SPEC_VERSION}, got {specversion}")
        try:
            time = datetime.fromisoformat(text("ce_time"))
        except ValueError as error:
            raise ContractError(f"header ce_time is not an RFC 3339 time: {error}") from error
        return cls(
            id=text("ce_id"),
            type=text("ce_type"),
            source=text("ce_source"),
            subject=text("ce_subject"),
            time=time,
            specversion=specversion,
        )


def envelope_for(event: EventBody, *, source: str, subject: str) -> Envelope:
    """A fresh envelope for an event body: its type is the topic it belongs on."""
    return Envelope(type=event.topic.name, source=source, subject=subject)
